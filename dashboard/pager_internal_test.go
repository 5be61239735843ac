package dashboard

import "testing"

// The pager of a paged list: no pager for one page, no "previous" on
// the first page nor "next" on the last, and every link keeps the
// list's query and fragment.
func TestPageLinks(t *testing.T) {
	if p := pageLinks(1, 1, "?page=", "", "Page 1 of 1"); p != nil {
		t.Errorf("one page has a pager: %+v", p)
	}
	first := pageLinks(1, 3, "?status=rejected&warnings=1&page=", "", "Page 1 of 3")
	if first == nil || first.Prev != "" || first.Next != "?status=rejected&warnings=1&page=2" || first.Label != "Page 1 of 3" {
		t.Errorf("first page: %+v", first)
	}
	mid := pageLinks(2, 3, "?ranking=all&page=", "#ranking", "Areas 51–100 of 120")
	if mid == nil || mid.Prev != "?ranking=all&page=1#ranking" || mid.Next != "?ranking=all&page=3#ranking" {
		t.Errorf("middle page: %+v", mid)
	}
	last := pageLinks(3, 3, "?page=", "", "Page 3 of 3")
	if last == nil || last.Prev != "?page=2" || last.Next != "" {
		t.Errorf("last page: %+v", last)
	}
}
