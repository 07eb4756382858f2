package store

import "database/sql"

// The few expressions that differ between the engines, for packages that keep their own tables in the database.
// Everything else is written once, in the SQL both engines understand (see pgdriver.go).

// JSONText is the SQL expression for the text of key in the JSON object held by column col (NULL when absent):
// json_extract on SQLite, ->> on PostgreSQL. key is a constant of the caller's, never input.
func JSONText(db *sql.DB, col, key string) string {
	if IsPostgres(db) {
		return "(" + col + "::jsonb ->> '" + key + "')"
	}
	return "json_extract(" + col + ", '$." + key + "')"
}

// Greatest is the SQL expression for the larger of a and b: SQLite's two-argument MAX, PostgreSQL's GREATEST.
func Greatest(db *sql.DB, a, b string) string {
	if IsPostgres(db) {
		return "GREATEST(" + a + ", " + b + ")"
	}
	return "MAX(" + a + ", " + b + ")"
}

// Least is the SQL expression for the smaller of a and b: SQLite's two-argument MIN, PostgreSQL's LEAST.
func Least(db *sql.DB, a, b string) string {
	if IsPostgres(db) {
		return "LEAST(" + a + ", " + b + ")"
	}
	return "MIN(" + a + ", " + b + ")"
}

// JoinInOrder is the join operator that keeps the tables in the order written: SQLite's CROSS JOIN (its planner
// never reorders one, which a query may need: see fleet's KPI), a plain JOIN on PostgreSQL, whose planner chooses
// well and which takes no ON after CROSS JOIN.
func JoinInOrder(db *sql.DB) string {
	if IsPostgres(db) {
		return "JOIN"
	}
	return "CROSS JOIN"
}

// LikeNoCase is the operator matching a LIKE pattern with ASCII letters in either case: SQLite's LIKE already does,
// PostgreSQL's ILIKE does on the schema's "C"-collated columns.
func LikeNoCase(db *sql.DB) string {
	if IsPostgres(db) {
		return "ILIKE"
	}
	return "LIKE"
}

// SkipLocked is the clause a row-locking claim ends with (see RowLocking): FOR UPDATE SKIP LOCKED on PostgreSQL,
// nothing on SQLite, whose writers never run side by side.
func SkipLocked(db *sql.DB) string {
	if IsPostgres(db) {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// ForUpdate is the clause that locks the rows a read-write transaction reads before it changes them: FOR UPDATE on
// PostgreSQL, so that a row-locking transaction (RowLocking) cannot change them in between; nothing on SQLite.
func ForUpdate(db *sql.DB) string {
	if IsPostgres(db) {
		return " FOR UPDATE"
	}
	return ""
}
