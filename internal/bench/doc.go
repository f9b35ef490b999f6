// Package bench measures ipc against the bare file-system operation it
// stands on, for make bench: durable sends, claims, listing, wake-ups,
// the hook and memory, each figure beside its yardstick measured in the
// same run, turn about with it, so a noisy machine slows both alike.
//
// A Figure holds one measurement: ipc's value, the bare value, and their
// ratio (ipc ÷ bare; for a rate more is better, for a time or a size
// less is). Run builds its spools under a scratch directory, measures
// every group, and returns a Report that prints as a table and encodes
// as JSON. The bare operations are small functions here (a durable
// write, a claim by rename, a directory listing) and the ipc-bare
// command beside it for the per-process ones.
//
// It is for benchmarking only; nothing in the ipc command uses it. It
// runs the ipc binary it is given as a user would, and the spool API in
// process, and never asserts a speed: it reports.
package bench
