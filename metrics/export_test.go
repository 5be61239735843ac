package metrics

// PasswordChecks reports how many argon2 computations the store has run
// and the most that ran at once.
func (s *Store) PasswordChecks() (total, peak int64) { return s.pw.checks.Load(), s.pw.peak.Load() }

// WritePathSQL exposes the per-cell write statements to the plan test.
var WritePathSQL = writePathSQL
