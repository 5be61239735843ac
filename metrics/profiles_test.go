package metrics_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/twinmetrics/twinmetrics/internal/testapp"
	"github.com/twinmetrics/twinmetrics/metrics"
)

// TestImportProfileLifecycle: an editor proposes, an admin approves,
// an editor's change sends it back to proposed, every step is logged
// with the body before and after, and an admin can revert any step.
func TestImportProfileLifecycle(t *testing.T) {
	app := testapp.New(t, testapp.Options{NoSeed: true})
	ctx := context.Background()
	st := app.Store
	editor := metrics.User{ID: 1, Email: "ed@example.org", Role: metrics.RoleEditor}
	admin := metrics.User{ID: 2, Email: "ad@example.org", Role: metrics.RoleAdmin}
	now := testapp.Fixed
	v1 := []byte(`{"name": "city-energy", "value": {"column": "kWh"}}`)
	v2 := []byte(`{"name":"city-energy","value":{"column":"MWh"}}`)

	p, err := st.SaveImportProfile(ctx, metrics.ProfileInput{Name: "city-energy", Title: "City energy", Body: v1}, editor, now)
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != metrics.ProfileProposed || p.Version != 1 || p.Kind != metrics.ProfileStaff || p.CreatedBy != editor.Email {
		t.Fatalf("editor's new profile: %+v", p)
	}
	if string(p.Body) != `{"name":"city-energy","value":{"column":"kWh"}}` {
		t.Errorf("body stored as %s", p.Body)
	}
	// The same body again is no change.
	if again, err := st.SaveImportProfile(ctx, metrics.ProfileInput{Name: "city-energy", Title: "City energy", Body: v1}, editor, now); err != nil || again.Version != 1 {
		t.Fatalf("saving the same profile: version %d, %v", again.Version, err)
	}
	if _, err := st.ApproveImportProfile(ctx, p.ID, editor, now); !errors.Is(err, metrics.ErrNotAllowed) {
		t.Fatalf("an editor approved: %v", err)
	}
	approved := func() string {
		ps, err := st.ImportProfiles(ctx, metrics.ProfileApproved)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, p := range ps {
			names = append(names, p.Name)
		}
		return " " + strings.Join(names, " ") + " "
	}
	if strings.Contains(approved(), " city-energy ") {
		t.Fatal("approved before approval")
	}
	p, err = st.ApproveImportProfile(ctx, p.ID, admin, now)
	if err != nil || p.Status != metrics.ProfileApproved || p.ApprovedBy == nil || *p.ApprovedBy != admin.Email || p.Version != 2 {
		t.Fatalf("approve: %+v, %v", p, err)
	}
	if !strings.Contains(approved(), " city-energy ") {
		t.Fatalf("approved list: %s", approved())
	}
	// An editor's change of the approved profile waits beside it: the
	// approved body stays in use.
	const kWh = `{"name":"city-energy","value":{"column":"kWh"}}`
	p, err = st.SaveImportProfile(ctx, metrics.ProfileInput{Name: "city-energy", Title: "City energy", Body: v2}, editor, now)
	if err != nil || p.Status != metrics.ProfileApproved || string(p.Body) != kWh || string(p.ProposedBody) != string(v2) ||
		p.ProposedBy == nil || *p.ProposedBy != editor.Email || p.Version != 3 {
		t.Fatalf("editor's edit: %+v, %v", p, err)
	}
	if !strings.Contains(approved(), " city-energy ") {
		t.Fatal("a proposed change took the approved profile out of use")
	}
	changes, err := st.ImportProfileChanges(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, c := range changes {
		actions = append(actions, c.Action+":"+c.UserEmail)
	}
	if len(changes) != 3 || actions[0] != "propose:ed@example.org" || actions[1] != "approve:ad@example.org" || actions[2] != "create:ed@example.org" {
		t.Fatalf("changes, newest first: %v", actions)
	}
	edit := changes[0]
	if string(edit.OldBody) != kWh || string(edit.NewBody) != string(v2) || !edit.BodyChanged() {
		t.Errorf("proposal logged %s → %s", edit.OldBody, edit.NewBody)
	}
	// The admin approves it: MWh is in use.
	p, err = st.ApproveImportProfile(ctx, p.ID, admin, now)
	if err != nil || string(p.Body) != string(v2) || p.HasProposal() || p.Version != 4 || *p.ApprovedBy != admin.Email {
		t.Fatalf("approving the change: %+v, %v", p, err)
	}
	changes, _ = st.ImportProfileChanges(ctx, p.ID)
	approval := changes[0]
	// Reverting the approval brings back kWh, approved as before.
	if _, err := st.RevertImportProfileChange(ctx, approval.ID, editor, now); !errors.Is(err, metrics.ErrNotAllowed) {
		t.Fatalf("an editor reverted: %v", err)
	}
	p, err = st.RevertImportProfileChange(ctx, approval.ID, admin, now)
	if err != nil {
		t.Fatal(err)
	}
	if string(p.Body) != kWh || p.Status != metrics.ProfileApproved || p.Version != 5 {
		t.Fatalf("after revert: %+v", p)
	}
	changes, _ = st.ImportProfileChanges(ctx, p.ID)
	if changes[0].Action != "revert" || changes[0].Reverts == nil || *changes[0].Reverts != approval.ID {
		t.Fatalf("revert logged as %+v", changes[0])
	}
	// An editor's profile that was never approved is edited in place.
	q, err := st.SaveImportProfile(ctx, metrics.ProfileInput{Name: "draft", Title: "Draft", Body: v1}, editor, now)
	if err != nil {
		t.Fatal(err)
	}
	q, err = st.SaveImportProfile(ctx, metrics.ProfileInput{Name: "draft", Title: "Draft", Body: v2}, editor, now)
	if err != nil || q.Status != metrics.ProfileProposed || string(q.Body) != string(v2) || q.HasProposal() {
		t.Fatalf("editing a proposal: %+v, %v", q, err)
	}
	// Reverting the creation retires the profile.
	p, err = st.RevertImportProfileChange(ctx, changes[len(changes)-1].ID, admin, now)
	if err != nil || p.Status != metrics.ProfileRetired || string(p.Body) != kWh {
		t.Fatalf("revert of the creation: %+v, %v", p, err)
	}
	if _, err := st.ImportProfile(ctx, 999); !errors.Is(err, metrics.ErrNotFound) {
		t.Errorf("unknown profile: %v", err)
	}
	// A bad name is refused, naming the field.
	_, err = st.SaveImportProfile(ctx, metrics.ProfileInput{Name: "City Energy!", Body: v1}, admin, now)
	var inv *metrics.InvalidError
	if !errors.As(err, &inv) || inv.Fields["name"].Key != "map.save.bad_name" {
		t.Fatalf("bad name: %v", err)
	}
}

// TestSeedImportProfiles: shipped profiles arrive approved; seeding
// again changes nothing; a changed shipped file is a new version that
// replaces an admin's edit, logged.
func TestSeedImportProfiles(t *testing.T) {
	app := testapp.New(t, testapp.Options{NoSeed: true})
	ctx := context.Background()
	st := app.Store
	now := testapp.Fixed
	ship := []metrics.ShippedProfile{{Name: "who-aaq-2022", Title: "WHO AAQ 2022", Body: []byte(`{"name":"who-aaq-2022"}`)}}
	if n, err := st.SeedImportProfiles(ctx, ship, now); err != nil || n != 1 {
		t.Fatalf("first seed: %d, %v", n, err)
	}
	if n, err := st.SeedImportProfiles(ctx, ship, now); err != nil || n != 0 {
		t.Fatalf("second seed: %d, %v", n, err)
	}
	p, err := st.ImportProfileByName(ctx, "who-aaq-2022")
	if err != nil || p.Status != metrics.ProfileApproved || p.Kind != metrics.ProfileShipped || p.CreatedBy != "seed" {
		t.Fatalf("shipped: %+v, %v", p, err)
	}
	admin := metrics.User{ID: 2, Email: "ad@example.org", Role: metrics.RoleAdmin}
	if _, err := st.SaveImportProfile(ctx, metrics.ProfileInput{Name: "who-aaq-2022", Title: "WHO AAQ 2022", Body: []byte(`{"name":"who-aaq-2022","x":1}`)}, admin, now); err != nil {
		t.Fatal(err)
	}
	if n, _ := st.SeedImportProfiles(ctx, ship, now); n != 0 {
		t.Fatalf("the seed overwrote an admin's edit of an unchanged shipped profile")
	}
	ship[0].Body = []byte(`{"name":"who-aaq-2022","y":2}`)
	if n, err := st.SeedImportProfiles(ctx, ship, now); err != nil || n != 1 {
		t.Fatalf("changed shipped file: %d, %v", n, err)
	}
	p, _ = st.ImportProfileByName(ctx, "who-aaq-2022")
	if string(p.Body) != `{"name":"who-aaq-2022","y":2}` || p.Version != 3 {
		t.Fatalf("after the new release: %+v", p)
	}
}

// TestAcceptAliases: proposed names become aliases in one step, a name
// already known is left as it is, and a name that already stands for
// another area is refused so that it cannot take that area's rows.
func TestAcceptAliases(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	ctx := context.Background()
	res, err := app.Store.AcceptAliases(ctx, []metrics.AliasInput{
		{Slug: "hanoi", Alias: "Thanh pho Ha Noi (test)"},
		{Slug: "milan", Alias: "Hanoi"},
		{Slug: "atlantis", Alias: "Atlantis"},
	}, "ad@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Outcome != metrics.AliasAdded || res[1].Outcome != metrics.AliasOtherArea || res[1].Other != "hanoi" || res[2].Outcome != metrics.AliasUnknownArea {
		t.Fatalf("outcomes: %+v", res)
	}
	cat, err := app.Store.Catalogue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := cat.Area("hanoi")
	found := false
	for _, al := range a.Aliases {
		found = found || al == "Thanh pho Ha Noi (test)"
	}
	if !found {
		t.Errorf("the catalogue does not know the new alias: %v", a.Aliases)
	}
	res, _ = app.Store.AcceptAliases(ctx, []metrics.AliasInput{{Slug: "hanoi", Alias: "thanh pho ha noi (TEST)"}}, "ad@example.org")
	if res[0].Outcome != metrics.AliasKnown {
		t.Errorf("the same name again: %+v", res)
	}
	// The catalogue's change log says who added which alias, and only
	// the one that was added.
	var logged []string
	if err := app.DB.R.SelectContext(ctx, &logged, `SELECT user_email || ' ' || entity || ' ' || entity_key || ' ' || action || ' ' || detail
		FROM catalogue_changes ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if want := []string{"ad@example.org city hanoi alias Thanh pho Ha Noi (test)"}; !slices.Equal(logged, want) {
		t.Errorf("catalogue change log %q, want %q", logged, want)
	}
}
