package scorecard

import "github.com/sphera/atrium/internal/catalog"

// BuiltIns are the rules the platform team asked for, on unless switched off (Config.Disable): core packages
// current, the GitHub configuration every repository must have (README, CODEOWNERS, a CI workflow, branch
// protection on the default branch), and running in every production region. They are CEL like any other rule,
// so docs/scorecards.md can show them as examples.
func BuiltIns() []catalog.ScoreRule {
	return []catalog.ScoreRule{
		{
			Name: "repo-readme", Title: "README", Level: catalog.LevelBronze, Weight: 1, BuiltIn: true,
			Description: "The repository has a README covering the service (in its directory, or at the root).",
			Remediation: "Add a README.md that says what the service does, how to run it and who to ask.",
			Expression:  `service.repository.facts.readme != ""`,
			MessageExpression: `"no README in " + (service.repository.path == "" ? "the repository's root" : ` +
				`service.repository.path + "/ or the repository's root")`,
		},
		{
			Name: "repo-codeowners", Title: "CODEOWNERS", Level: catalog.LevelBronze, Weight: 2, BuiltIn: true,
			Description:       "The repository has a CODEOWNERS file, so that changes are reviewed by their owners.",
			Remediation:       "Add .github/CODEOWNERS naming the owning team (e.g. `* @sphera/payments`).",
			Expression:        `service.repository.facts.codeowners != ""`,
			MessageExpression: `"no CODEOWNERS file (looked for .github/CODEOWNERS, CODEOWNERS and docs/CODEOWNERS)"`,
		},
		{
			Name: "repo-ci-workflow", Title: "CI workflow", Level: catalog.LevelSilver, Weight: 2, BuiltIn: true,
			Description:       "The repository runs CI: at least one workflow in .github/workflows.",
			Remediation:       "Add a workflow file, e.g. .github/workflows/ci.yml, that builds and tests on every pull request.",
			Expression:        `size(service.repository.facts.workflows) > 0`,
			MessageExpression: `"no workflow file in .github/workflows"`,
		},
		{
			Name: "repo-branch-protection", Title: "Branch protection", Level: catalog.LevelSilver, Weight: 2, BuiltIn: true,
			Description: "The default branch is protected: changes arrive through reviewed pull requests.",
			Remediation: "In the repository's Settings → Branches, add a protection rule for the default branch " +
				"requiring pull request reviews.",
			Expression:        `service.repository.facts.branch_protection.enabled`,
			MessageExpression: `"branch " + service.repository.default_branch + " is not protected"`,
		},
		{
			Name: "core-packages-current", Title: "Core packages current", Level: catalog.LevelSilver, Weight: 3, BuiltIn: true,
			Description: "Every core package the service uses is at most as far behind its newest version as allowed.",
			Remediation: "Upgrade the packages named to the version given, then release.",
			Expression: `service.dependencies.all(d, !(d.name in platform.core_packages) || ` +
				`d.lag <= platform.core_packages[d.name])`,
			MessageExpression: `"upgrade " + service.dependencies.filter(d, d.name in platform.core_packages && ` +
				`d.lag > platform.core_packages[d.name]).map(d, d.name + " " + d.version + " → " + d.latest + ` +
				`" (" + d.behind + " version behind)").join(", ")`,
		},
		{
			Name: "production-regions", Title: "In every production region", Level: catalog.LevelGold, Weight: 3, BuiltIn: true,
			Description: "A service in production runs in every region the platform has production clusters in.",
			Remediation: "Deploy the service to the production cluster of each region named.",
			Expression: `service.lifecycle != "production" || ` +
				`platform.regions["production"].all(r, r in service.regions["production"])`,
			MessageExpression: `"not running in production in " + platform.regions["production"].filter(r, ` +
				`!(r in service.regions["production"])).join(", ")`,
		},
	}
}
