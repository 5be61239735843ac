package ingest

import (
	"reflect"
	"testing"
)

// A staged list reads back what jsonList wrote; a column that holds
// something else fails the read instead of showing the row without its
// problems.
func TestListColumnReadsWhatWasStaged(t *testing.T) {
	probs := []Problem{*problem("value", "1,5", probDecimalComma.With("1,5"), hintDecimalComma.With("1.5")),
		*warning("year", "2031", probFutureYear.With(2031), hintFutureYear.With())}
	text, err := jsonList(probs)
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range []any{text, []byte(text)} {
		var got listColumn[Problem]
		if err := got.Scan(src); err != nil {
			t.Fatalf("%T: %v", src, err)
		}
		if !reflect.DeepEqual([]Problem(got), probs) {
			t.Errorf("%T: read %+v, staged %+v", src, got, probs)
		}
	}
	for _, empty := range []any{nil, "", []byte{}} {
		got := listColumn[Problem]{{Column: "left over"}}
		if err := got.Scan(empty); err != nil || got != nil {
			t.Errorf("%#v: read %+v, %v; want no problems", empty, got, err)
		}
	}
	var got listColumn[Problem]
	if err := got.Scan(`{"column":"value"`); err == nil {
		t.Error("a damaged list was read without an error")
	}
	if err := got.Scan(int64(3)); err == nil {
		t.Error("a number was read as a list")
	}
}
