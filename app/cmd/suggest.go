package cmd

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sphera/atrium/app"
	"github.com/sphera/atrium/backend/client"
)

// completeServiceNames completes `atrium service <TAB>` with names from the local replica, connecting to no
// portal: completion must answer at once. A replica that does not exist yet completes nothing.
func (a *atrium) completeServiceNames(cmd *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	names, err := app.ReplicaServiceNames(cmd.Context(), a.data, prefix, 1000)
	if err != nil {
		cobra.CompDebugln("atrium: complete service names: "+err.Error(), true)
		return nil, cobra.ShellCompDirectiveError
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}

// maxSuggestions is how many names "did you mean" offers at most.
const maxSuggestions = 3

// noSuchService is the error for a service name the catalog does not have, naming the closest ones it has: those
// the catalog's search finds for the name, else those a few typos away.
func noSuchService(ctx context.Context, c *client.Client, name string) error {
	msg := fmt.Sprintf("no service named %q", name)
	if s := similarServices(ctx, c, name); len(s) > 0 {
		msg += " — did you mean " + strings.Join(s, ", ") + "?"
	} else {
		msg += " (atrium services lists them)"
	}
	return fmt.Errorf("%s", msg)
}

func similarServices(ctx context.Context, c *client.Client, name string) []string {
	type scored struct {
		name   string
		prefix bool // the name starts with what was typed
		d      int
	}
	var cands []scored
	add := func(n string) {
		cands = append(cands, scored{n, strings.HasPrefix(n, strings.ToLower(name)), editDistance(name, n)})
	}
	if page, err := c.Services(ctx, client.ServiceQuery{Q: name, Limit: 20}); err == nil && len(page.Items) > 0 {
		for _, r := range page.Items {
			add(r.Name)
		}
	} else {
		// No word starts with it: a typo. Every name a few edits away.
		limit := max(2, len(name)/3)
		for offset := 0; ; {
			page, err := c.Services(ctx, client.ServiceQuery{Sort: "name", Limit: 1000, Offset: offset})
			if err != nil {
				return nil
			}
			for _, r := range page.Items {
				if editDistance(name, r.Name) <= limit {
					add(r.Name)
				}
			}
			offset += len(page.Items)
			if len(page.Items) == 0 || offset >= page.Total {
				break
			}
		}
	}
	sort.SliceStable(cands, func(i, j int) bool {
		if cands[i].prefix != cands[j].prefix {
			return cands[i].prefix
		}
		return cands[i].d < cands[j].d
	})
	var out []string
	for i := 0; i < len(cands) && i < maxSuggestions; i++ {
		out = append(out, cands[i].name)
	}
	return out
}

// editDistance is the Levenshtein distance between a and b, ignoring case.
func editDistance(a, b string) int {
	s, t := []rune(strings.ToLower(a)), []rune(strings.ToLower(b))
	prev := make([]int, len(t)+1)
	cur := make([]int, len(t)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(s); i++ {
		cur[0] = i
		for j := 1; j <= len(t); j++ {
			cost := 1
			if s[i-1] == t[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(t)]
}
