package fleet

import (
	"regexp"
	"strconv"
	"strings"
)

// Version is an app version as MAJOR.MINOR.PATCH with an optional pre-release.
type Version struct {
	Major, Minor, Patch int
	Pre                 string
}

var versionRE = regexp.MustCompile(`^v?(\d{1,9})\.(\d{1,9})\.(\d{1,9})(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$`)

// describeRE is the suffix `git describe` adds to a tag for the commits after it ("-12-gabc1234", "-dirty"): such
// a build is newer than its tag, not a pre-release of it.
var describeRE = regexp.MustCompile(`^(\d+-g[0-9a-f]+)?(-?dirty)?$`)

// ParseVersion reads an app version ("1.4.0", "v1.4.0-rc.1", "v1.4.0-3-gabc1234-dirty").
func ParseVersion(s string) (Version, bool) {
	m := versionRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return Version{}, false
	}
	v := Version{Pre: m[4]}
	v.Major, _ = strconv.Atoi(m[1])
	v.Minor, _ = strconv.Atoi(m[2])
	v.Patch, _ = strconv.Atoi(m[3])
	if v.Pre != "" && describeRE.MatchString(v.Pre) {
		v.Pre = ""
	}
	return v, true
}

// Compare is -1, 0 or 1 as v is older than, the same as or newer than o. A pre-release is older than its release;
// pre-releases compare as text.
func (v Version) Compare(o Version) int {
	for _, d := range [][2]int{{v.Major, o.Major}, {v.Minor, o.Minor}, {v.Patch, o.Patch}} {
		if d[0] != d[1] {
			if d[0] < d[1] {
				return -1
			}
			return 1
		}
	}
	switch {
	case v.Pre == o.Pre:
		return 0
	case v.Pre == "":
		return 1
	case o.Pre == "":
		return -1
	case v.Pre < o.Pre:
		return -1
	}
	return 1
}

// BelowMinimum reports whether an install of app version app is older than minimum (no minimum: never). A version
// that does not parse — a development build ("dev"), a bare commit — is below every minimum: nobody can tell it
// is new enough.
func BelowMinimum(app, minimum string) bool {
	if minimum == "" {
		return false
	}
	m, ok := ParseVersion(minimum)
	if !ok {
		return false
	}
	a, ok := ParseVersion(app)
	return !ok || a.Compare(m) < 0
}
