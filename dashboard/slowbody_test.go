package dashboard_test

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/twinmetrics/twinmetrics/internal/testapp"
)

// slowPost opens a connection, sends a POST's headers and then its body
// one byte every 100 ms for the given time, then the rest at once; it
// returns the status line, or "" when the server closed the connection
// before the body was whole.
func slowPost(t *testing.T, addr, path string, hdr http.Header, body []byte, trickle time.Duration) string {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var head bytes.Buffer
	fmt.Fprintf(&head, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", path, addr, len(body))
	hdr.Write(&head)
	head.WriteString("\r\n")
	if _, err := conn.Write(head.Bytes()); err != nil {
		t.Fatal(err)
	}
	i := 0
	for end := time.Now().Add(trickle); time.Now().Before(end) && i < len(body)-1; i++ {
		if _, err := conn.Write(body[i : i+1]); err != nil {
			return ""
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, err := conn.Write(body[i:]); err != nil {
		return ""
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return ""
	}
	return strings.TrimSpace(line)
}

// TestSlowBodyCutExceptUploads: with the server's read timeout (here 1 s
// instead of dashboard.ReadTimeout), a body sent slowly to the
// anonymous sign-in is cut off at the timeout, while a signed-in upload
// sent as slowly is received whole and checked.
func TestSlowBodyCutExceptUploads(t *testing.T) {
	a := newStaffApp(t, testapp.Options{})
	srv := httptest.NewUnstartedServer(a.Handler)
	srv.Config.ReadTimeout = time.Second
	srv.Config.ReadHeaderTimeout = time.Second
	srv.Start()
	defer srv.Close()
	addr := srv.Listener.Addr().String()

	form := []byte("email=x%40example.org&password=" + strings.Repeat("a", 60) + "&csrf=" + strings.Repeat("b", 43))
	hdr := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Cookie": {"tm_login_csrf=" + strings.Repeat("b", 43)}}
	start := time.Now()
	if got := slowPost(t, addr, "/login", hdr, form, 2500*time.Millisecond); got != "" && !strings.Contains(got, " 400 ") {
		t.Errorf("a sign-in body sent over 2.5 s with a read timeout of 1 s was answered %q; want the connection cut", got)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the slow sign-in held the connection %v", d)
	}

	body, ct := multipartBody(t, "slow.csv", []byte("city,indicator,year,value,unit,source\nTP.HCM,pm25_annual_mean,2025,33.33,ug/m3,who_aaq_2022_v2022\n"))
	hdr = http.Header{"Content-Type": {ct}, "Authorization": {"Bearer " + a.token}}
	if got := slowPost(t, addr, "/api/v1/uploads", hdr, body.Bytes(), 2500*time.Millisecond); !strings.Contains(got, " 201 ") {
		t.Errorf("an upload sent over 2.5 s was answered %q, want 201 Created", got)
	}
}
