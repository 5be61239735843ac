package metrics

import "database/sql"

// The stored types say "no value" with sql.Null*; JSON and the pages'
// structs say it with a nil pointer. These convert between the two.

// IntOrNil is v as a pointer to a copy of its value, nil when v is null.
func IntOrNil(v sql.NullInt64) *int64 {
	if !v.Valid {
		return nil
	}
	x := v.Int64
	return &x
}

// FloatOrNil is v as a pointer to a copy of its value, nil when v is
// null.
func FloatOrNil(v sql.NullFloat64) *float64 {
	if !v.Valid {
		return nil
	}
	x := v.Float64
	return &x
}

// NullIntOf is the value p points to, null when p is nil.
func NullIntOf(p *int64) sql.NullInt64 {
	if p == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: *p, Valid: true}
}

// NullFloatOf is the value p points to, null when p is nil.
func NullFloatOf(p *float64) sql.NullFloat64 {
	if p == nil {
		return sql.NullFloat64{}
	}
	return sql.NullFloat64{Float64: *p, Valid: true}
}
