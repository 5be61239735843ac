package metrics

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/jmoiron/sqlx"
)

// pgDriverName is pgx's database/sql driver behind one translation: the
// SQL of this program is written once, with SQLite's `?` and `:name`
// parameters, and this driver turns them into PostgreSQL's `$n` as the
// statement reaches the connection. No call site rebinds, so SQL written
// for SQLite and portable runs unchanged on both engines.
const pgDriverName = "twinmetrics-pgx"

func init() {
	sql.Register(pgDriverName, &pgDriver{inner: stdlib.GetDefaultDriver().(*stdlib.Driver)})
	// sqlx's In and Rebind keep `?`: the driver rebinds.
	sqlx.BindDriver(pgDriverName, sqlx.QUESTION)
}

type pgDriver struct{ inner *stdlib.Driver }

func (d *pgDriver) Open(name string) (driver.Conn, error) {
	c, err := d.inner.Open(name)
	if err != nil {
		return nil, err
	}
	return &pgConn{inner: c}, nil
}

func (d *pgDriver) OpenConnector(name string) (driver.Connector, error) {
	c, err := d.inner.OpenConnector(name)
	if err != nil {
		return nil, err
	}
	return &pgConnector{inner: c, d: d}, nil
}

type pgConnector struct {
	inner driver.Connector
	d     *pgDriver
}

func (c *pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &pgConn{inner: conn}, nil
}

func (c *pgConnector) Driver() driver.Driver { return c.d }

// pgConn wraps one pgx connection; every statement passes through
// rebindPG.
type pgConn struct{ inner driver.Conn }

// PgxConn is the pgx connection under a database/sql connection of a
// PostgreSQL DB, for COPY: call it inside (*sql.Conn).Raw.
func PgxConn(driverConn any) (*pgx.Conn, error) {
	c, ok := driverConn.(*pgConn)
	if !ok {
		return nil, fmt.Errorf("not a PostgreSQL connection: %T", driverConn)
	}
	sc, ok := c.inner.(*stdlib.Conn)
	if !ok {
		return nil, fmt.Errorf("not a pgx connection: %T", c.inner)
	}
	return sc.Conn(), nil
}

func (c *pgConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *pgConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	rb := rebindPG(query)
	s, err := c.inner.(driver.ConnPrepareContext).PrepareContext(ctx, rb.sql)
	if err != nil {
		return nil, err
	}
	return &pgStmt{inner: s, rb: rb}, nil
}

func (c *pgConn) Close() error { return c.inner.Close() }

func (c *pgConn) Begin() (driver.Tx, error) { //nolint:staticcheck // required by driver.Conn
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *pgConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.inner.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

func (c *pgConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return runRebound(ctx, query, args, c.inner.(driver.ExecerContext).ExecContext)
}

func (c *pgConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return runRebound(ctx, query, args, c.inner.(driver.QueryerContext).QueryContext)
}

var debugPG = os.Getenv("TWINMETRICS_DEBUG_PG") != ""

// runRebound runs query with run once its placeholders and arguments are
// rebound for PostgreSQL; with TWINMETRICS_DEBUG_PG set, an error names
// the SQL that was run.
func runRebound[R any](ctx context.Context, query string, args []driver.NamedValue, run func(context.Context, string, []driver.NamedValue) (R, error)) (R, error) {
	rb := rebindPG(query)
	a, err := rb.args(args)
	if err != nil {
		var none R
		return none, err
	}
	r, err := run(ctx, rb.sql, a)
	if err != nil && debugPG {
		err = fmt.Errorf("%w [%s]", err, rb.sql)
	}
	return r, err
}

func (c *pgConn) Ping(ctx context.Context) error { return c.inner.(driver.Pinger).Ping(ctx) }

func (c *pgConn) CheckNamedValue(v *driver.NamedValue) error {
	return c.inner.(driver.NamedValueChecker).CheckNamedValue(v)
}

func (c *pgConn) ResetSession(ctx context.Context) error {
	if r, ok := c.inner.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *pgConn) IsValid() bool {
	if v, ok := c.inner.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

type pgStmt struct {
	inner driver.Stmt
	rb    *rebound
}

func (s *pgStmt) Close() error { return s.inner.Close() }

// NumInput is unknown to database/sql: a named parameter used twice is
// one argument.
func (s *pgStmt) NumInput() int { return -1 }

func (s *pgStmt) Exec(args []driver.Value) (driver.Result, error) { //nolint:staticcheck // required by driver.Stmt
	return s.ExecContext(context.Background(), valuesToNamed(args))
}

func (s *pgStmt) Query(args []driver.Value) (driver.Rows, error) { //nolint:staticcheck // required by driver.Stmt
	return s.QueryContext(context.Background(), valuesToNamed(args))
}

func (s *pgStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	a, err := s.rb.args(args)
	if err != nil {
		return nil, err
	}
	return s.inner.(driver.StmtExecContext).ExecContext(ctx, a)
}

func (s *pgStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	a, err := s.rb.args(args)
	if err != nil {
		return nil, err
	}
	return s.inner.(driver.StmtQueryContext).QueryContext(ctx, a)
}

func valuesToNamed(vs []driver.Value) []driver.NamedValue {
	out := make([]driver.NamedValue, len(vs))
	for i, v := range vs {
		out[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	return out
}

// rebound is a statement in PostgreSQL's parameter style: the `?` became
// $1…$k in order, and each distinct `:name` (or `@name`) one more number
// after them, in order of first use.
type rebound struct {
	sql        string
	positional int
	names      []string
}

var reboundCache sync.Map // string → *rebound

// rebindPG rewrites `?`, `:name` and `@name` parameters to `$n`, leaving
// string literals, quoted identifiers, comments and `::` casts alone.
func rebindPG(query string) *rebound {
	if rb, ok := reboundCache.Load(query); ok {
		return rb.(*rebound)
	}
	rb := &rebound{}
	var b strings.Builder
	b.Grow(len(query) + 16)
	named := map[string]int{}
	var namedAt []int // byte offsets in b where a named number goes, filled below
	var namedWhich []string
	n := len(query)
	for i := 0; i < n; i++ {
		ch := query[i]
		switch {
		case ch == '\'' || ch == '"':
			j := i + 1
			for j < n {
				if query[j] == ch {
					if j+1 < n && query[j+1] == ch { // doubled quote
						j += 2
						continue
					}
					break
				}
				j++
			}
			if j >= n {
				j = n - 1
			}
			b.WriteString(query[i : j+1])
			i = j
		case ch == '-' && i+1 < n && query[i+1] == '-':
			j := strings.IndexByte(query[i:], '\n')
			if j < 0 {
				j = n - i - 1
			}
			b.WriteString(query[i : i+j+1])
			i += j
		case ch == '/' && i+1 < n && query[i+1] == '*':
			j := strings.Index(query[i+2:], "*/")
			end := n - 1
			if j >= 0 {
				end = i + 2 + j + 1
			}
			b.WriteString(query[i : end+1])
			i = end
		case ch == '$' && (i == 0 || !isIdentByte(query[i-1])) && dollarTag(query[i:]) != "":
			// a dollar-quoted body ($fn$ … $fn$) is passed as it is
			tag := dollarTag(query[i:])
			end := strings.Index(query[i+len(tag):], tag)
			j := n - 1
			if end >= 0 {
				j = i + len(tag) + end + len(tag) - 1
			}
			b.WriteString(query[i : j+1])
			i = j
		case ch == ':' && i+1 < n && query[i+1] == ':':
			b.WriteString("::")
			i++
		case ch == '?':
			rb.positional++
			b.WriteString("$" + strconv.Itoa(rb.positional))
		case (ch == ':' || ch == '@') && i+1 < n && isIdentStart(query[i+1]) && (i == 0 || !isIdentByte(query[i-1])):
			j := i + 1
			for j < n && isIdentByte(query[j]) {
				j++
			}
			name := query[i+1 : j]
			if _, ok := named[name]; !ok {
				named[name] = len(rb.names)
				rb.names = append(rb.names, name)
			}
			namedAt = append(namedAt, b.Len())
			namedWhich = append(namedWhich, name)
			i = j - 1
		default:
			b.WriteByte(ch)
		}
	}
	out := b.String()
	if len(namedAt) > 0 {
		// Named parameters are numbered after the positional ones, which
		// are only known at the end.
		var nb strings.Builder
		last := 0
		for k, at := range namedAt {
			nb.WriteString(out[last:at])
			nb.WriteString("$" + strconv.Itoa(rb.positional+named[namedWhich[k]]+1))
			last = at
		}
		nb.WriteString(out[last:])
		out = nb.String()
	}
	rb.sql = out
	reboundCache.Store(query, rb)
	return rb
}

// dollarTag is the opening tag of a dollar-quoted string at the start of
// s ("$$", "$fn$"), or "" when there is none ($1 is a parameter).
func dollarTag(s string) string {
	for j := 1; j < len(s); j++ {
		if s[j] == '$' {
			return s[:j+1]
		}
		if !isIdentByte(s[j]) || (j == 1 && !isIdentStart(s[j])) {
			return ""
		}
	}
	return ""
}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIdentByte(c byte) bool { return isIdentStart(c) || (c >= '0' && c <= '9') }

// args orders the caller's arguments as the rebound statement numbers
// them: unnamed ones first, in order, then each name once.
func (rb *rebound) args(in []driver.NamedValue) ([]driver.NamedValue, error) {
	if len(rb.names) == 0 {
		for _, a := range in {
			if a.Name != "" {
				return nil, fmt.Errorf("argument %q is named but the statement has no :%s", a.Name, a.Name)
			}
		}
		return in, nil
	}
	out := make([]driver.NamedValue, 0, rb.positional+len(rb.names))
	for _, a := range in {
		if a.Name == "" {
			a.Ordinal = len(out) + 1
			out = append(out, a)
		}
	}
	if len(out) != rb.positional {
		return nil, fmt.Errorf("statement has %d ? parameters, got %d unnamed arguments", rb.positional, len(out))
	}
	for _, name := range rb.names {
		found := false
		for _, a := range in {
			if a.Name == name {
				out = append(out, driver.NamedValue{Ordinal: len(out) + 1, Value: a.Value})
				found = true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("no argument for :%s", name)
		}
	}
	return out, nil
}
