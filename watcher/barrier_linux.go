package watcher

// haveBarrier says the barrier of notify.go can work here: one inotify
// instance delivers its events in order, and an fchmod of a watched
// directory comes back as an event on it.
const haveBarrier = true
