package bridge

// Permissions returns the NATS publish and subscribe permissions that let
// host run a bridge and keep it from publishing as any other host: it may
// publish mail only on subjects that end in its own name
// (ipc.mail.*.*.HOST, ipc.bcast.HOST), write only its own presence keys,
// read mail only through its own two consumers, and create or inspect
// only the bridge's stream and buckets. The object store of large
// messages is shared: any host of the fleet can read it. Put them in the server's authorization
// block (see the README) or in the host's user JWT.
func Permissions(host string) (publish, subscribe []string) {
	publish = []string{
		"ipc.mail.*.*." + host,
		"ipc.bcast." + host,
		"$KV." + PresenceBucket + "." + host + ".>",
		"$O." + ObjectBucket + ".>",
		"$JS.API.INFO",
	}
	for _, st := range []string{StreamName, "KV_" + PresenceBucket, "OBJ_" + ObjectBucket} {
		publish = append(publish, "$JS.API.STREAM.INFO."+st, "$JS.API.STREAM.CREATE."+st)
	}
	for _, st := range []string{"KV_" + PresenceBucket, "OBJ_" + ObjectBucket} {
		publish = append(publish, "$JS.API.STREAM.MSG.GET."+st, "$JS.API.DIRECT.GET."+st, "$JS.API.DIRECT.GET."+st+".>")
	}
	for _, consumer := range []string{mailConsumer(host), bcastConsumer(host)} {
		publish = append(publish,
			"$JS.API.CONSUMER.CREATE."+StreamName+"."+consumer,
			"$JS.API.CONSUMER.CREATE."+StreamName+"."+consumer+".>",
			"$JS.API.CONSUMER.DURABLE.CREATE."+StreamName+"."+consumer,
			"$JS.API.CONSUMER.INFO."+StreamName+"."+consumer,
			"$JS.API.CONSUMER.MSG.NEXT."+StreamName+"."+consumer,
			"$JS.ACK."+StreamName+"."+consumer+".>")
	}
	publish = append(publish,
		// Ordered consumers read the presence bucket and the object store.
		"$JS.API.CONSUMER.CREATE.KV_"+PresenceBucket+".>",
		"$JS.API.CONSUMER.CREATE.OBJ_"+ObjectBucket+".>",
		"$JS.API.CONSUMER.DELETE.KV_"+PresenceBucket+".>",
		"$JS.API.CONSUMER.DELETE.OBJ_"+ObjectBucket+".>",
		"$JS.API.CONSUMER.INFO.OBJ_"+ObjectBucket+".>",
		"$JS.API.CONSUMER.INFO.KV_"+PresenceBucket+".>",
		"$JS.FC.>",
	)
	subscribe = []string{"_INBOX.>"}
	return publish, subscribe
}
