package sessions

import (
	"context"
	"database/sql"
)

// queryAll runs a query and scans each row with scan.
func queryAll[T any](ctx context.Context, db *sql.DB, scan func(*sql.Rows) (T, error), query string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// QueryColumn runs a query of one column and returns its values.
func QueryColumn[T any](ctx context.Context, db *sql.DB, query string, args ...any) ([]T, error) {
	return queryAll(ctx, db, func(rows *sql.Rows) (T, error) {
		var v T
		err := rows.Scan(&v)
		return v, err
	}, query, args...)
}

// scanSummaryRow scans one summary row.
func scanSummaryRow(rows *sql.Rows) (Record, error) {
	var r Record
	err := scanSummary(rows, &r)
	return r, err
}
