package catalog

import "testing"

func TestAdoptable(t *testing.T) {
	for _, c := range []struct {
		heldBy, heldRepo, repo string
		want                   bool
	}{
		{"template:go-http-service", "https://github.com/sphera/orders", "https://github.com/sphera/orders", true},
		{"template:go-http-service", "https://github.com/Sphera/Orders.git", "http://github.com/sphera/orders/", true},
		{"template:go-http-service", "https://github.com/sphera/orders", "https://github.com/sphera/orders-v2", false},
		{"template:go-http-service", "", "https://github.com/sphera/orders", false},
		{"template:go-http-service", "https://github.com/sphera/orders", "", false},
		{"github:other", "https://github.com/sphera/orders", "https://github.com/sphera/orders", false},
		{"demo", "https://github.com/sphera/orders", "https://github.com/sphera/orders", false},
	} {
		if got := Adoptable(c.heldBy, c.heldRepo, c.repo); got != c.want {
			t.Errorf("Adoptable(%q, %q, %q) = %v", c.heldBy, c.heldRepo, c.repo, got)
		}
	}
}
