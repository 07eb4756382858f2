package catalog

import (
	"strings"

	"golang.org/x/mod/semver"
)

// canonical turns an npm ("1.2.3") or Go ("v1.2.3") version into golang.org/x/mod/semver's form, or "" when it is
// not a semantic version.
func canonical(v string) string {
	v = strings.TrimSpace(v)
	if v == "" {
		return ""
	}
	if v[0] != 'v' {
		v = "v" + v
	}
	if !semver.IsValid(v) {
		return ""
	}
	return v
}

// CompareVersions orders two semantic versions (with or without a leading "v"); ok is false when either is not one.
func CompareVersions(a, b string) (cmp int, ok bool) {
	ca, cb := canonical(a), canonical(b)
	if ca == "" || cb == "" {
		return 0, false
	}
	return semver.Compare(ca, cb), true
}

// Behind reports how far version lags latest: "major", "minor" or "patch"; "" when it is current, ahead, or either
// version is unknown or not semantic.
func Behind(version, latest string) string {
	cv, cl := canonical(version), canonical(latest)
	if cv == "" || cl == "" || semver.Compare(cv, cl) >= 0 {
		return ""
	}
	switch {
	case semver.Major(cv) != semver.Major(cl):
		return "major"
	case semver.MajorMinor(cv) != semver.MajorMinor(cl):
		return "minor"
	default:
		return "patch"
	}
}
