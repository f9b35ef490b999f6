// Package archtest holds the test that keeps the import graph as
// ARCHITECTURE.md draws it: which ipc packages each package may import,
// which outside libraries only one package may use, and that only follow
// starts a watcher. It has no code of its own.
package archtest
