package fleet

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestDirectorySnapshots(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	now := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	d := &Directory{DB: db.SQL(), Now: func() time.Time { return now }}
	ch, err := d.Replace(ctx, "github:acme", []Member{{Login: "Ana", Teams: []string{"payments"}}, {Login: "bo"}})
	if err != nil || ch.Added != 2 || ch.Removed != 0 {
		t.Fatalf("%+v %v", ch, err)
	}
	now = now.AddDate(0, 0, 1)
	ch, err = d.Replace(ctx, "github:acme", []Member{{Login: "ana", Teams: []string{"payments", "growth"}, Aliases: []string{"Ana@Example.com"}},
		{Login: "cy"}})
	if err != nil || ch.Added != 1 || ch.Removed != 1 {
		t.Fatalf("%+v %v", ch, err)
	}
	if _, err := d.Replace(ctx, SourceUploaded, []Member{{Login: "cy"}, {Login: "dee"}}); err != nil {
		t.Fatal(err)
	}
	list, err := d.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var logins []string
	for _, dv := range list.Items {
		logins = append(logins, dv.Login)
	}
	if strings.Join(logins, ",") != "ana,cy,dee" || strings.Join(list.Items[0].Teams, ",") != "growth,payments" ||
		list.Items[0].Aliases[0] != "ana@example.com" || len(list.Items[1].Sources) != 2 || len(list.Sources) != 2 {
		t.Errorf("list %+v", list)
	}
	_, err = d.Replace(ctx, SourceUploaded, []Member{{Login: "x y"}, {Login: "dee"}, {Login: "DEE"}})
	if err == nil || !strings.Contains(err.Error(), "developers/0/login") || !strings.Contains(err.Error(), "developers/2/login") {
		t.Errorf("bad list: %v", err)
	}
	if l, _ := d.List(ctx); len(l.Items) != 3 {
		t.Error("a refused list changed the directory")
	}
}

func TestAdoptionKPI(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	today := time.Date(2025, 3, 14, 15, 0, 0, 0, time.UTC) // a Friday
	clockNow := func() time.Time { return today }
	dir := &Directory{DB: db.SQL(), Now: clockNow}
	// The first snapshot: members since before records began.
	if _, err := dir.Replace(ctx, "github:acme", []Member{
		{Login: "ana", Teams: []string{"payments"}}, {Login: "bo", Teams: []string{"growth"}, Aliases: []string{"bo@example.com"}},
		{Login: "cy", Teams: []string{"payments"}}, {Login: "dee", Teams: []string{"growth"}},
	}); err != nil {
		t.Fatal(err)
	}
	u := &Usage{DB: db.SQL(), Now: clockNow}
	use := func(user string, daysAgo int, page string) {
		t.Helper()
		if _, _, err := u.Record(ctx, user, []Event{{At: today.AddDate(0, 0, -daysAgo), Kind: "page.view", Page: page,
			Client: "desktop", Count: 1}}); err != nil {
			t.Fatal(err)
		}
	}
	use("ana", 0, "catalog")
	use("ana", 2, "flags")
	use("bo@example.com", 6, "requests") // an alias counts for bo; six days ago is inside the last seven
	use("ana", 7, "catalog")             // the week before
	use("zed", 1, "catalog")             // not a developer
	use("cy", 20, "scorecards")          // three weeks ago

	k := &KPI{DB: db.SQL(), Now: clockNow}
	a, err := k.Adoption(ctx, 4)
	if err != nil {
		t.Fatal(err)
	}
	if a.AsOf != "2025-03-14" || len(a.Weeks) != 4 {
		t.Fatalf("%+v", a)
	}
	want := []Week{
		{Week: "2025-02-15", End: "2025-02-21", Active: 0, Developers: 4, Percent: 0},
		{Week: "2025-02-22", End: "2025-02-28", Active: 1, Developers: 4, Percent: 25},
		{Week: "2025-03-01", End: "2025-03-07", Active: 1, Developers: 4, Percent: 25},
		{Week: "2025-03-08", End: "2025-03-14", Active: 2, Developers: 4, Percent: 50},
	}
	for i, w := range want {
		if a.Weeks[i] != w {
			t.Errorf("week %d: %+v, want %+v", i, a.Weeks[i], w)
		}
	}
	if a.OtherActive != 1 {
		t.Errorf("other active %d", a.OtherActive)
	}
	teams := map[string]TeamAdoption{}
	for _, ta := range a.Teams {
		teams[ta.Team] = ta
	}
	if teams["payments"] != (TeamAdoption{Team: "payments", Active: 1, Developers: 2, Percent: 50}) ||
		teams["growth"] != (TeamAdoption{Team: "growth", Active: 1, Developers: 2, Percent: 50}) {
		t.Errorf("teams %+v", a.Teams)
	}
	features := map[string]FeatureAdoption{}
	for _, f := range a.Features {
		features[f.Feature] = f
	}
	if features["catalog"].Active != 1 || features["flags"].Active != 1 || features["self-service"].Active != 1 ||
		features["self-service"].Percent != 50 || features["secrets"].Active != 0 || len(a.Features) != len(Features) {
		t.Errorf("features %+v", a.Features)
	}

	// A developer who leaves stops counting from the week they left; one who joins counts from the week they joined.
	today = today.AddDate(0, 0, 7)
	if _, err := dir.Replace(ctx, "github:acme", []Member{{Login: "ana"}, {Login: "bo", Aliases: []string{"bo@example.com"}},
		{Login: "cy"}, {Login: "eve"}}); err != nil {
		t.Fatal(err)
	}
	a, err = k.Adoption(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if a.Weeks[0].Developers != 4 || a.Weeks[1].Developers != 4 || a.Weeks[0].Active != 2 {
		t.Errorf("after the directory changed: %+v", a.Weeks)
	}
	if _, err := k.Adoption(ctx, 0); err == nil {
		t.Error("0 weeks accepted")
	}
}
