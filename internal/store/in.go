package store

import (
	"errors"
	"fmt"
	"strings"
)

// MaxListValues is the most values a query may match a column against (one IN list). SQLite refuses a statement
// with more than 32,766 bound variables; the API refuses longer lists before they reach the store.
const MaxListValues = 1000

// ErrTooManyValues is wrapped by queries given a list longer than MaxListValues; the API answers it with 400.
var ErrTooManyValues = errors.New("too many values in a list")

// In is the one builder of IN lists: it returns `col IN (?, …)` with a placeholder per value and appends the values
// to args, or ErrTooManyValues. An empty list gives a condition matching nothing; callers that mean "no filter"
// leave the condition out.
func In[T any](col string, vals []T, args *[]any) (string, error) {
	if len(vals) > MaxListValues {
		return "", fmt.Errorf("%w: %d values, at most %d", ErrTooManyValues, len(vals), MaxListValues)
	}
	if len(vals) == 0 {
		return "1 = 0", nil // `col IN ()` on SQLite; PostgreSQL has no empty list
	}
	for _, v := range vals {
		*args = append(*args, v)
	}
	return col + " IN (" + strings.TrimSuffix(strings.Repeat("?,", len(vals)), ",") + ")", nil
}
