package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"citymap/server/access"
	"citymap/server/auth"
	"citymap/server/store"
)

func init() {
	register("token", "create or revoke API tokens (token create|revoke|demo)", runToken)
}

func runToken(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("usage: citymap token create|revoke|demo [flags]")
	}
	switch args[0] {
	case "create":
		return tokenCreate(ctx, args[1:])
	case "revoke":
		return tokenRevoke(ctx, args[1:])
	case "demo":
		return tokenDemo(ctx, args[1:])
	}
	return fmt.Errorf("unknown token command %q (create, revoke, demo)", args[0])
}

func tokenCreate(ctx context.Context, args []string) error {
	fs := newFlags("token create")
	role := fs.String("role", "", "role: "+strings.Join(access.Roles, ", "))
	areas := fs.String("areas", "", "comma-separated area codes the token is limited to (required for grid_manager)")
	name := fs.String("name", "", "who or what holds the token")
	source := fs.String("source", "", "for a reporter: the issue source it reports for and reads ("+
		strings.Join(store.IssueSources, ", ")+"); without one it reads only what it reported")
	unit := fs.String("unit", "", "the unit code a unit or unit_leader token acts for (required for those, see /api/v1/units)")
	if err := parse(fs, args); err != nil {
		return err
	}
	codes := splitCodes(*areas)
	if err := checkTokenRequest(*role, *name, *source, codes, *unit); err != nil {
		return err
	}
	st, err := openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	missing, err := st.MissingAreaCodes(ctx, codes)
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		return fmt.Errorf("no area has the code(s) %s", strings.Join(missing, ", "))
	}
	if *unit != "" {
		if known, err := st.UnitExists(ctx, *unit); err != nil || !known {
			return errors.Join(err, fmt.Errorf("no unit has the code %s (see /api/v1/units)", *unit))
		}
	}
	token, err := createToken(ctx, st, store.Token{Name: *name, Role: *role, Areas: codes, Source: *source, Unit: *unit})
	if err != nil {
		return err
	}
	fmt.Println(token)
	fmt.Fprintln(os.Stderr, "citymap: keep this token now; only its hash is stored")
	return nil
}

func checkTokenRequest(role, name, source string, codes []string, unit string) error {
	switch {
	case !access.ValidRole(role):
		return fmt.Errorf("--role must be one of %s", strings.Join(access.Roles, ", "))
	case strings.TrimSpace(name) == "":
		return errors.New("--name is required")
	case role == access.GridManager && len(codes) == 0:
		return errors.New("a grid_manager token needs --areas")
	case source != "" && role != access.Reporter:
		return errors.New("--source is for reporter tokens only")
	case source != "" && !slices.Contains(store.IssueSources, source):
		return fmt.Errorf("--source must be one of %s", strings.Join(store.IssueSources, ", "))
	case slices.Contains(access.UnitRoles, role) && unit == "":
		return fmt.Errorf("a %s token needs --unit", role)
	case !slices.Contains(access.UnitRoles, role) && unit != "":
		return errors.New("only unit and unit_leader tokens take --unit")
	}
	return nil
}

func createToken(ctx context.Context, st *store.Store, t store.Token) (string, error) {
	token, hash, err := auth.NewToken()
	if err != nil {
		return "", err
	}
	_, err = st.StoreToken(ctx, t, hash)
	return token, err
}

// demoSource is the source of the demo reporter: the city's main hotline.
const demoSource = "hotline_12345"

func splitCodes(s string) []string {
	var out []string
	for _, c := range strings.Split(s, ",") {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return out
}

func tokenRevoke(ctx context.Context, args []string) error {
	fs := newFlags("token revoke")
	name := fs.String("name", "", "name of the token(s) to revoke")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *name == "" {
		return errors.New("--name is required")
	}
	st, err := openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := st.RevokeToken(ctx, *name)
	if err == nil {
		fmt.Printf("revoked %d token(s)\n", n)
	}
	return err
}

// tokenDemo keeps one demo token per role in a local file, creating those that are
// missing or no longer valid, and prints them: make run shows them on every start.
func tokenDemo(ctx context.Context, args []string) error {
	fs := newFlags("token demo")
	file := fs.String("file", ".data/demo-tokens", "file that keeps the demo tokens")
	if err := parse(fs, args); err != nil {
		return err
	}
	st, err := openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	kept := readDemoTokens(*file)
	scope, err := st.FirstCommunityCode(ctx)
	if err != nil {
		return err
	}
	var lines []string
	for _, role := range access.Roles {
		if role == access.GridManager && scope == "" {
			continue // a grid manager needs an area, and there is none yet
		}
		token := kept[role]
		if _, err := st.TokenByHash(ctx, auth.Hash(token)); token == "" || err != nil {
			t := store.Token{Name: "demo-" + role, Role: role}
			switch role {
			case access.GridManager:
				t.Areas = []string{scope}
			case access.Reporter:
				t.Source = demoSource
			}
			if slices.Contains(access.UnitRoles, role) {
				t.Unit = DemoUnit // the unit the demo city's tasks mostly go to
			}
			if token, err = createToken(ctx, st, t); err != nil {
				return err
			}
		}
		lines = append(lines, role+"="+token)
	}
	body := strings.Join(lines, "\n") + "\n"
	if err := os.WriteFile(*file, []byte(body), 0o600); err != nil {
		return err
	}
	fmt.Print(body)
	return nil
}

// DemoUnit is the unit of the demo unit token: the city-management bureau.
const DemoUnit = "cgj"

func readDemoTokens(file string) map[string]string {
	out := map[string]string{}
	f, err := os.Open(file)
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if role, tok, ok := strings.Cut(sc.Text(), "="); ok {
			out[role] = tok
		}
	}
	return out
}
