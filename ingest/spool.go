package ingest

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jmoiron/sqlx"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// A stager keeps the checked rows of pending uploads until they are
// published or dropped. On SQLite each upload has its stage.db, a
// throw-away file beside its original that publishing attaches to the
// writer connection; on PostgreSQL, which attaches nothing and may be
// shared by several instances, the rows wait in staging tables of the
// database itself, keyed by the upload.
type stager interface {
	// create starts the stage of key, replacing any earlier one; nothing
	// is kept unless the sink commits.
	create(ctx context.Context, key string) (stageSink, error)
	// read runs f with a handle that reads the stage of key as the
	// table t.rows (give it an alias).
	read(ctx context.Context, key string, f func(q sqlx.QueryerContext, t stageTables) error) error
	// publish runs f in a write transaction of the main database in
	// which the stage of key reads as t.rows and t.replaced, commits it
	// and then drops the staging rows the transaction made permanent.
	publish(ctx context.Context, key string, f func(tx *sqlx.Tx, t stageTables) error) error
	// remove drops the stage of key, if any.
	remove(ctx context.Context, key string) error
}

// stageTables are what the SQL that reads a stage names in FROM: a
// table, or a subquery, to be followed by an alias.
type stageTables struct {
	rows, replaced string
}

// stageSink takes the rows of one check.
type stageSink interface {
	// row stages one row, its values in stageColumns' order.
	row(ctx context.Context, values []any) error
	// replaced notes that the published row seq replaces the stored
	// value oldID.
	replaced(ctx context.Context, seq int, oldID int64) error
	commit(ctx context.Context) error
	close()
}

// stageColumns are a staged row's columns, in the order sinks take them.
var stageColumns = []string{"line", "col", "changes", "status", "warn", "area_id", "indicator_id", "year", "value", "value_as_given", "unit_as_given",
	"source_id", "new_source", "flags", "note", "old_ids", "old_value", "city", "indicator", "source", "problems", "seq"}

func newStager(u *Uploader) stager {
	if u.store.DB().Dialect == metrics.Postgres {
		return &pgStager{db: u.store.DB()}
	}
	return &fileStager{u: u}
}

// fileStager is SQLite's stager: one stage.db per upload.
type fileStager struct{ u *Uploader }

func (s *fileStager) create(ctx context.Context, key string) (stageSink, error) {
	return createStage(ctx, s.u.path(key, "stage.db"))
}

func (s *fileStager) read(ctx context.Context, key string, f func(q sqlx.QueryerContext, t stageTables) error) error {
	sdb, err := openStage(s.u.path(key, "stage.db"), false)
	if err != nil {
		return err
	}
	defer sdb.Close()
	return f(sdb, stageTables{rows: "rows", replaced: "replaced"})
}

func (s *fileStager) publish(ctx context.Context, key string, f func(tx *sqlx.Tx, t stageTables) error) error {
	// The staged rows go in with INSERT … SELECT from the preview's file,
	// attached to the writer connection for the length of the
	// transaction: a million rows never pass through Go one by one.
	conn, err := s.u.store.DB().W.Connx(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `ATTACH DATABASE ? AS stage`, s.u.path(key, "stage.db")); err != nil {
		return err
	}
	defer func() {
		// a no-op after the DETACH that follows a commit
		_, _ = conn.ExecContext(context.Background(), `DETACH DATABASE stage`)
	}()
	tx, err := conn.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := f(tx, stageTables{rows: "stage.rows", replaced: "stage.replaced"}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	_, _ = conn.ExecContext(ctx, `DETACH DATABASE stage`)
	return nil
}

func (s *fileStager) remove(_ context.Context, key string) error {
	if err := os.Remove(s.u.path(key, "stage.db")); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}

// pgStager is PostgreSQL's stager: the UNLOGGED tables upload_stage_rows
// and upload_stage_replaced (migrations/0021), filled with COPY.
type pgStager struct{ db *metrics.DB }

// pgStageBatch is how many rows a sink buffers before a COPY.
const pgStageBatch = 5000

// tables names the stage of key. The key is an upload key (ValidKey:
// hexadecimal), written as a literal so that the SQL around it keeps its
// parameters; it is quoted all the same.
func (s *pgStager) tables(key string) stageTables {
	lit := "'" + strings.ReplaceAll(key, "'", "''") + "'"
	return stageTables{
		rows:     "(SELECT * FROM upload_stage_rows WHERE upload_key = " + lit + ")",
		replaced: "(SELECT * FROM upload_stage_replaced WHERE upload_key = " + lit + ")",
	}
}

func (s *pgStager) create(ctx context.Context, key string) (_ stageSink, err error) {
	conn, err := s.db.W.Connx(ctx)
	if err != nil {
		return nil, err
	}
	k := &pgSink{key: key, conn: conn}
	defer func() {
		if err != nil {
			k.close()
		}
	}()
	if k.tx, err = conn.BeginTxx(ctx, nil); err != nil {
		return nil, err
	}
	for _, t := range []string{"upload_stage_rows", "upload_stage_replaced"} {
		if _, err := k.tx.ExecContext(ctx, `DELETE FROM `+t+` WHERE upload_key = ?`, key); err != nil {
			return nil, err
		}
	}
	return k, nil
}

func (s *pgStager) read(ctx context.Context, key string, f func(q sqlx.QueryerContext, t stageTables) error) error {
	return f(s.db.R, s.tables(key))
}

func (s *pgStager) publish(ctx context.Context, key string, f func(tx *sqlx.Tx, t stageTables) error) error {
	return s.db.WriteTx(ctx, func(tx *sqlx.Tx) error {
		if err := f(tx, s.tables(key)); err != nil {
			return err
		}
		return s.drop(ctx, tx, key)
	})
}

func (s *pgStager) drop(ctx context.Context, e sqlx.ExecerContext, key string) error {
	for _, t := range []string{"upload_stage_rows", "upload_stage_replaced"} {
		if _, err := e.ExecContext(ctx, `DELETE FROM `+t+` WHERE upload_key = ?`, key); err != nil {
			return err
		}
	}
	return nil
}

func (s *pgStager) remove(ctx context.Context, key string) error { return s.drop(ctx, s.db.W, key) }

// pgSink copies a check's rows into the staging tables in one
// transaction on one connection.
type pgSink struct {
	key      string
	conn     *sqlx.Conn
	tx       *sqlx.Tx
	id       int64
	rows     [][]any
	replaces [][]any
}

func (k *pgSink) row(ctx context.Context, values []any) error {
	k.id++
	r := make([]any, 0, len(values)+2)
	r = append(r, k.key, k.id)
	k.rows = append(k.rows, append(r, values...))
	if len(k.rows) >= pgStageBatch {
		return k.flush(ctx)
	}
	return nil
}

func (k *pgSink) replaced(ctx context.Context, seq int, oldID int64) error {
	k.replaces = append(k.replaces, []any{k.key, int64(seq), oldID})
	if len(k.replaces) >= pgStageBatch {
		return k.flush(ctx)
	}
	return nil
}

// flush copies the buffered rows through the connection that holds the
// transaction.
func (k *pgSink) flush(ctx context.Context) error {
	if len(k.rows) == 0 && len(k.replaces) == 0 {
		return nil
	}
	err := k.conn.Raw(func(dc any) error {
		c, err := metrics.PgxConn(dc)
		if err != nil {
			return err
		}
		if len(k.rows) > 0 {
			cols := append([]string{"upload_key", "id"}, stageColumns...)
			if _, err := c.CopyFrom(ctx, pgx.Identifier{"upload_stage_rows"}, cols, pgx.CopyFromRows(k.rows)); err != nil {
				return fmt.Errorf("stage rows: %w", err)
			}
		}
		if len(k.replaces) > 0 {
			if _, err := c.CopyFrom(ctx, pgx.Identifier{"upload_stage_replaced"}, []string{"upload_key", "seq", "old_id"}, pgx.CopyFromRows(k.replaces)); err != nil {
				return fmt.Errorf("stage replaced values: %w", err)
			}
		}
		return nil
	})
	k.rows, k.replaces = k.rows[:0], k.replaces[:0]
	return err
}

func (k *pgSink) commit(ctx context.Context) error {
	if err := k.flush(ctx); err != nil {
		return err
	}
	return k.tx.Commit()
}

func (k *pgSink) close() {
	if k.tx != nil {
		_ = k.tx.Rollback() // a no-op after commit
	}
	if k.conn != nil {
		k.conn.Close()
	}
}
