//go:build !unix

package vault

// lockFile is a no-op where flock is not available: one process per data directory writes the vault.
func lockFile(string) (func(), error) { return func() {}, nil }
