package metrics

import (
	"context"
	"embed"
	"fmt"
	"reflect"
	"strings"

	"github.com/jmoiron/sqlx"
)

//go:embed queries
var queryFiles embed.FS

// queries holds every read query, prepared on the reader pool at start-up
// so that a broken query fails at boot and not on a reader's click. Each
// field is filled from queries/<FieldName>.sql, or on PostgreSQL from
// queries/postgres/<FieldName>.sql where that engine needs other SQL. A
// query file is a template with the helpers of migrations (sqlFuncs):
// {{ids "?"}} is the subquery of the ids in a JSON array parameter.
type queries struct {
	ListAreas                          *sqlx.Stmt
	ListAliases                        *sqlx.Stmt
	ListPairs                          *sqlx.Stmt
	ListPairSides                      *sqlx.Stmt
	ListPairMembers                    *sqlx.Stmt
	ListIndicators                     *sqlx.Stmt
	ListSources                        *sqlx.Stmt
	ListFlags                          *sqlx.Stmt
	ListObservationsForAreas           *sqlx.Stmt
	ListObservationsForIndicators      *sqlx.Stmt
	ListObservationsForAreasIndicators *sqlx.Stmt
	CountIndicatorAreas                *sqlx.Stmt
	RankAreasAscending                 *sqlx.Stmt
	RankAreasDescending                *sqlx.Stmt
	CountRankedAreas                   *sqlx.Stmt
	CountObservations                  *sqlx.Stmt
	DataVersion                        *sqlx.Stmt
	CatalogueVersion                   *sqlx.Stmt
	LastChange                         *sqlx.Stmt
	VersionMade                        *sqlx.Stmt
	HistoryFrom                        *sqlx.Stmt
	ListReferenceLines                 *sqlx.Stmt
	ListTargets                        *sqlx.Stmt
	ListTargetsAt                      *sqlx.Stmt
	TargetHistoryFrom                  *sqlx.Stmt
	ListAreaContains                   *sqlx.Stmt

	// Accounts and uploads.
	GetUserByEmail      *sqlx.Stmt
	ListUsers           *sqlx.Stmt
	GetUserForSignIn    *sqlx.Stmt
	GetPasswordHash     *sqlx.Stmt
	GetSessionUser      *sqlx.Stmt
	GetTokenUser        *sqlx.Stmt
	ListTokens          *sqlx.Stmt
	ListCurrentValuesOf *sqlx.Stmt
	ListUploads         *sqlx.Stmt
	GetUpload           *sqlx.Stmt
	GetUploadByKey      *sqlx.Stmt
	CountUploadValues   *sqlx.Stmt
	ListUploadValues    *sqlx.Stmt

	// Import profiles.
	ListImportProfiles       *sqlx.Stmt
	GetImportProfile         *sqlx.Stmt
	GetImportProfileByName   *sqlx.Stmt
	ListImportProfileChanges *sqlx.Stmt
	ListUploadTargets        *sqlx.Stmt
}

// querySQL reads the query name for dialect d: its dialect's file first,
// else the shared one, without its comment lines (whose words would
// otherwise be read as parameters by sqlx's named queries).
func querySQL(name string, d Dialect) (string, error) {
	b, err := queryFiles.ReadFile("queries/" + d.String() + "/" + name + ".sql")
	if err != nil {
		b, err = queryFiles.ReadFile("queries/" + name + ".sql")
	}
	if err != nil {
		return "", fmt.Errorf("query %s: %w", name, err)
	}
	lines := strings.Split(string(b), "\n")
	kept := lines[:0]
	for _, l := range lines {
		if !strings.HasPrefix(strings.TrimSpace(l), "--") {
			kept = append(kept, l)
		}
	}
	return renderTemplate(name, strings.TrimSpace(strings.Join(kept, "\n")), d)
}

func prepareQueries(ctx context.Context, db *sqlx.DB, d Dialect) (*queries, error) {
	q := &queries{}
	v := reflect.ValueOf(q).Elem()
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		name := t.Field(i).Name
		src, err := querySQL(name, d)
		if err != nil {
			return nil, err
		}
		stmt, err := db.PreparexContext(ctx, src)
		if err != nil {
			return nil, fmt.Errorf("prepare query %s: %w", name, err)
		}
		v.Field(i).Set(reflect.ValueOf(stmt))
	}
	return q, nil
}

func (q *queries) Close() {
	v := reflect.ValueOf(q).Elem()
	for i := 0; i < v.NumField(); i++ {
		if s, ok := v.Field(i).Interface().(*sqlx.Stmt); ok && s != nil {
			s.Close()
		}
	}
}
