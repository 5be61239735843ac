package dashboard

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// deadlineRecorder records the write deadlines a handler sets, as the
// server's connection would take them.
type deadlineRecorder struct {
	*httptest.ResponseRecorder
	deadlines []time.Time
}

func (d *deadlineRecorder) SetWriteDeadline(t time.Time) error {
	d.deadlines = append(d.deadlines, t)
	return nil
}

// TestStreamedAnswerMovesItsDeadlineOn: an answer too large to keep
// streams, and every part it sends moves the write deadline to
// streamIdle from then, so a long download is not cut by the server's
// short write timeout; a kept answer sets no deadline of its own.
func TestStreamedAnswerMovesItsDeadlineOn(t *testing.T) {
	rec := &deadlineRecorder{ResponseRecorder: httptest.NewRecorder()}
	req := httptest.NewRequest(http.MethodGet, "/data/download?format=csv", nil)
	cw := &captureWriter{rw: rec, req: req, limit: 1000, status: http.StatusOK}
	rec.Header().Set("Content-Type", "text/csv")
	chunk := make([]byte, 600)
	cw.Write(chunk)
	if len(rec.deadlines) != 0 || cw.spilled {
		t.Fatal("an answer within the limit went out, or set a deadline")
	}
	start := time.Now()
	cw.Write(chunk) // past the limit: spills
	if !cw.spilled || len(rec.deadlines) != 1 {
		t.Fatalf("spilled %v, %d deadlines", cw.spilled, len(rec.deadlines))
	}
	for range 3 {
		time.Sleep(10 * time.Millisecond)
		cw.Write(chunk)
		cw.Flush()
	}
	if len(rec.deadlines) != 4 {
		t.Fatalf("%d deadlines after three flushed parts, want 4", len(rec.deadlines))
	}
	for i, d := range rec.deadlines {
		if d.Before(start.Add(streamIdle)) || d.After(time.Now().Add(streamIdle)) {
			t.Errorf("deadline %d is %v from the start, want streamIdle (%v) from its part", i, d.Sub(start), streamIdle)
		}
		if i > 0 && !d.After(rec.deadlines[i-1]) {
			t.Errorf("deadline %d did not move on", i)
		}
	}
	if err := cw.close(); err != nil {
		t.Fatal(err)
	}
	if got := rec.Body.Len(); got == 0 || rec.Code != http.StatusOK {
		t.Errorf("streamed %d bytes with status %d", got, rec.Code)
	}
}
