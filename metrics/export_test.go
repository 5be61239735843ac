package metrics

// WritePathSQL exposes the per-cell write statements to the plan test.
var WritePathSQL = writePathSQL
