// Package bridge carries mail between the spools of several hosts over NATS
// JetStream: mail queued in a spool's remote/ Maildir for NAME@HOST is
// published to the stream, and mail the stream holds for this host is
// delivered into local mailboxes.
//
// Guarantees:
//
//   - Outgoing: a message leaves remote/new/ only after JetStream has
//     acknowledged storing it. It is published with Nats-Msg-Id set to its
//     Message-ID and recipient, so a bridge killed between the publish and
//     the removal republishes it and the stream's de-duplication keeps one.
//     While the server is unreachable, refuses the credentials or the
//     message, the message waits on disk and Status says how many wait and
//     why.
//   - Incoming: one durable pull consumer per host with explicit acks. A
//     message is acknowledged only after it is in the mailbox (tmp, fsync,
//     rename into new/, fsync of new/). A redelivery (after a crash, a lost
//     ack or a republish beyond the de-duplication window) is recognised by
//     Message-ID, in the ledger remote/seen/ or, when a crash lost the
//     entry, in the names of the mailbox's files (each is filed under its
//     id; the files are not read): each message is in the spool exactly
//     once.
//   - A message whose shared-secret signature does not verify, or whose
//     From host is not the host its subject names, is not delivered: it is
//     quarantined with the reason and acknowledged, so it is not retried.
//   - Messages larger than the server's max payload, and the full text of
//     large messages (large/), travel through a JetStream object store:
//     never truncated.
//   - Presence: each bridge writes its host's names (online, last seen,
//     forwards) to a key-value bucket whose entries expire unless renewed,
//     and records the other hosts' names in the spool's fleet file, which
//     ipc list, broadcast and Send read.
//
// Subjects: ipc.mail.DST.NAME.SRC for mail from host SRC to NAME on host
// DST, ipc.bcast.SRC for a broadcast from SRC. Because the sending host is
// a subject token, NATS permissions can keep each host to its own (see the
// README). The package stands on spool and follow: it learns of queued
// mail from the process's follower (a watch on remote/new/), writes
// mailboxes through the spool's delivery (spool.Carried marks what it
// carried as provenance "bridge" from its host), and keeps no watcher of
// its own. Read receipts cross hosts because the rules layer answers
// spool.ReplyAddress, NAME@HOST for a sender elsewhere.
//
// bridge is a front end: it must not import cli or mcp, and it learns of
// mail only through a follow.Feed (ARCHITECTURE.md).
package bridge
