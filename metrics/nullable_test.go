package metrics

import (
	"database/sql"
	"testing"
)

func TestNullableRoundTrip(t *testing.T) {
	if IntOrNil(sql.NullInt64{Int64: 7}) != nil || FloatOrNil(sql.NullFloat64{Float64: 7}) != nil {
		t.Error("a null value gave a pointer")
	}
	if got := NullIntOf(nil); got.Valid {
		t.Errorf("NullIntOf(nil) = %+v, want null", got)
	}
	if got := NullFloatOf(nil); got.Valid {
		t.Errorf("NullFloatOf(nil) = %+v, want null", got)
	}
	i := sql.NullInt64{Int64: 2030, Valid: true}
	if p := IntOrNil(i); p == nil || *p != 2030 || NullIntOf(p) != i {
		t.Errorf("2030 did not round-trip: %v", p)
	}
	f := sql.NullFloat64{Float64: 0, Valid: true}
	if p := FloatOrNil(f); p == nil || *p != 0 || NullFloatOf(p) != f {
		t.Errorf("a stored zero did not round-trip: %v", p)
	}
	// The pointer is to a copy: changing it leaves the stored value.
	if p := IntOrNil(i); p != nil {
		*p = 1990
		if i.Int64 != 2030 {
			t.Errorf("IntOrNil shares its value: %d", i.Int64)
		}
	}
}
