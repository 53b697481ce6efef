package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/structpb"
)

const testURN = "urn:pulumi:dev::proj::command:local:Command::cmd"

// recorder stands in for the engine's Log RPC. It keeps transient status messages
// (LogStatus, ephemeral) apart from permanent diagnostics (Log), which the provider must
// never send for command output.
type recorder struct {
	mu        sync.Mutex
	lines     []string // LogStatus
	permanent []string // Log
}

func (r *recorder) LogStatus(_ context.Context, sev diag.Severity, _ resource.URN, msg string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if sev != diag.Info {
		msg = "[" + string(sev) + "] " + msg
	}
	r.lines = append(r.lines, msg)
	return nil
}

func (r *recorder) Log(_ context.Context, _ diag.Severity, _ resource.URN, msg string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.permanent = append(r.permanent, msg)
	return nil
}

// all is every status line, in order.
func (r *recorder) all() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.lines, "\n")
}

// diagnostics is every permanent message, in order.
func (r *recorder) diagnostics() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.permanent, "\n")
}

func newTestServer(t *testing.T, acceptSecrets bool) (*server, *recorder) {
	t.Helper()
	rec := &recorder{}
	s := newServer(rec, "1.2.1")
	if _, err := s.Configure(context.Background(), &pulumirpc.ConfigureRequest{
		AcceptSecrets: acceptSecrets, AcceptResources: true,
	}); err != nil {
		t.Fatal(err)
	}
	return s, rec
}

// pm builds a property map; values wrapped with secret()/unknown() keep that marking.
func pm(kv map[string]any) resource.PropertyMap {
	out := resource.PropertyMap{}
	for k, v := range kv {
		switch x := v.(type) {
		case resource.PropertyValue:
			out[resource.PropertyKey(k)] = x
		default:
			out[resource.PropertyKey(k)] = resource.NewPropertyValue(x)
		}
	}
	return out
}

func secret(v any) resource.PropertyValue {
	return resource.MakeSecret(resource.NewPropertyValue(v))
}

func enc(t *testing.T, m resource.PropertyMap) *structpb.Struct {
	t.Helper()
	st, err := plugin.MarshalProperties(m, plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func dec(t *testing.T, st *structpb.Struct) resource.PropertyMap {
	t.Helper()
	m, err := plugin.UnmarshalProperties(st, plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func create(t *testing.T, s *server, in resource.PropertyMap, preview bool) (resource.PropertyMap, error) {
	t.Helper()
	resp, err := s.Create(context.Background(), &pulumirpc.CreateRequest{
		Urn: testURN, Name: "cmd", Properties: enc(t, in), Preview: preview,
	})
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(resp.GetId(), "cmd") {
		t.Errorf("id %q does not start with the resource name", resp.GetId())
	}
	return dec(t, resp.GetProperties()), nil
}

func str(m resource.PropertyMap, k string) string {
	v := plain(m[resource.PropertyKey(k)])
	if !v.IsString() {
		return "<" + v.TypeString() + ">"
	}
	return v.StringValue()
}

func TestCheckDefaultsAndFailures(t *testing.T) {
	s, _ := newTestServer(t, true)
	resp, err := s.Check(context.Background(), &pulumirpc.CheckRequest{
		Urn: testURN, News: enc(t, pm(map[string]any{"create": "true", "stdin": secret("x")})),
	})
	if err != nil {
		t.Fatal(err)
	}
	in := dec(t, resp.GetInputs())
	if v := in["addPreviousOutputInEnv"]; !v.IsBool() || !v.BoolValue() {
		t.Errorf("addPreviousOutputInEnv default: got %v", v)
	}
	if !in["stdin"].IsSecret() {
		t.Errorf("Check lost the secretness of stdin")
	}
	if len(resp.GetFailures()) != 0 {
		t.Errorf("unexpected failures %v", resp.GetFailures())
	}

	resp, err = s.Check(context.Background(), &pulumirpc.CheckRequest{
		Urn: testURN, News: enc(t, pm(map[string]any{
			"create": "true", "logging": "loud", "assetPaths": []any{"*.txt"},
			"environment": map[string]any{"A": 1.0},
		})),
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range resp.GetFailures() {
		got[f.GetProperty()] = f.GetReason()
	}
	for _, k := range []string{"logging", "assetPaths", "environment"} {
		if got[k] == "" {
			t.Errorf("expected a failure for %s, got %v", k, got)
		}
	}
	if !strings.Contains(got["assetPaths"], "not supported") {
		t.Errorf("assetPaths failure should say it is not supported: %q", got["assetPaths"])
	}
}

func TestDiffRules(t *testing.T) {
	state := pm(map[string]any{
		"create": "echo a", "triggers": []any{"t1"}, "addPreviousOutputInEnv": true,
		"stdin": secret("s"), "stdout": "a", "stderr": "",
	})
	inputs := pm(map[string]any{
		"create": "echo a", "triggers": []any{"t1"}, "addPreviousOutputInEnv": true, "stdin": secret("s"),
	})
	cases := []struct {
		name     string
		change   func(resource.PropertyMap)
		ignore   []string
		changes  pulumirpc.DiffResponse_DiffChanges
		replaces []string
		kind     map[string]pulumirpc.PropertyDiff_Kind
	}{
		{name: "unchanged", change: func(resource.PropertyMap) {}, changes: pulumirpc.DiffResponse_DIFF_NONE},
		{name: "secretness only", change: func(m resource.PropertyMap) { m["stdin"] = resource.NewStringProperty("s") },
			changes: pulumirpc.DiffResponse_DIFF_NONE},
		{name: "create changed", change: func(m resource.PropertyMap) { m["create"] = resource.NewStringProperty("echo b") },
			changes: pulumirpc.DiffResponse_DIFF_SOME,
			kind:    map[string]pulumirpc.PropertyDiff_Kind{"create": pulumirpc.PropertyDiff_UPDATE}},
		{name: "update added", change: func(m resource.PropertyMap) { m["update"] = resource.NewStringProperty("echo u") },
			changes: pulumirpc.DiffResponse_DIFF_SOME,
			kind:    map[string]pulumirpc.PropertyDiff_Kind{"update": pulumirpc.PropertyDiff_ADD}},
		{name: "env changed", change: func(m resource.PropertyMap) {
			m["environment"] = resource.NewPropertyValue(map[string]any{"A": "1"})
		}, changes: pulumirpc.DiffResponse_DIFF_SOME,
			kind: map[string]pulumirpc.PropertyDiff_Kind{"environment": pulumirpc.PropertyDiff_ADD}},
		{name: "triggers changed", change: func(m resource.PropertyMap) {
			m["triggers"] = resource.NewPropertyValue([]any{"t2"})
		}, changes: pulumirpc.DiffResponse_DIFF_SOME, replaces: []string{"triggers"},
			kind: map[string]pulumirpc.PropertyDiff_Kind{"triggers": pulumirpc.PropertyDiff_UPDATE_REPLACE}},
		{name: "triggers removed", change: func(m resource.PropertyMap) { delete(m, "triggers") },
			changes: pulumirpc.DiffResponse_DIFF_SOME, replaces: []string{"triggers"},
			kind: map[string]pulumirpc.PropertyDiff_Kind{"triggers": pulumirpc.PropertyDiff_DELETE_REPLACE}},
		{name: "unknown create", change: func(m resource.PropertyMap) { m["create"] = unknownString() },
			changes: pulumirpc.DiffResponse_DIFF_SOME,
			kind:    map[string]pulumirpc.PropertyDiff_Kind{"create": pulumirpc.PropertyDiff_UPDATE}},
		{name: "ignored change", change: func(m resource.PropertyMap) { m["create"] = resource.NewStringProperty("x") },
			ignore: []string{"create"}, changes: pulumirpc.DiffResponse_DIFF_NONE},
	}
	s, _ := newTestServer(t, true)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			news := inputs.Copy()
			c.change(news)
			resp, err := s.Diff(context.Background(), &pulumirpc.DiffRequest{
				Urn: testURN, Olds: enc(t, state), News: enc(t, news), IgnoreChanges: c.ignore,
			})
			if err != nil {
				t.Fatal(err)
			}
			if resp.GetChanges() != c.changes {
				t.Fatalf("changes = %v, want %v (diffs %v)", resp.GetChanges(), c.changes, resp.GetDiffs())
			}
			if strings.Join(resp.GetReplaces(), ",") != strings.Join(c.replaces, ",") {
				t.Errorf("replaces = %v, want %v", resp.GetReplaces(), c.replaces)
			}
			for k, want := range c.kind {
				if d := resp.GetDetailedDiff()[k]; d == nil || d.GetKind() != want {
					t.Errorf("detailed diff %s = %v, want %v", k, d, want)
				}
			}
			if len(resp.GetDetailedDiff()) != len(c.kind) {
				t.Errorf("detailed diff has extra keys: %v", resp.GetDetailedDiff())
			}
		})
	}
}

func TestCreateDeliversEnvironmentAndStdinAndTrimsNewline(t *testing.T) {
	s, rec := newTestServer(t, true)
	out, err := create(t, s, pm(map[string]any{
		"create":      `printf '%s|' "$FOO"; cat; echo; echo warn >&2`,
		"environment": map[string]any{"FOO": "bar"},
		"stdin":       "from-stdin",
	}), false)
	if err != nil {
		t.Fatal(err)
	}
	if got := str(out, "stdout"); got != "bar|from-stdin" {
		t.Errorf("stdout = %q", got)
	}
	if got := str(out, "stderr"); got != "warn" {
		t.Errorf("stderr = %q", got)
	}
	if out["stdout"].IsSecret() {
		t.Errorf("stdout is secret without secret inputs")
	}
	// The two streams are read concurrently: their lines may arrive in either order.
	if got := rec.all(); got != "bar|from-stdin\nwarn" && got != "warn\nbar|from-stdin" {
		t.Errorf("default logging should stream both streams as info status, line by line; status: %q", got)
	}
	if rec.diagnostics() != "" {
		t.Errorf("command output must be transient status (LogStatus), not diagnostics (Log): %q", rec.diagnostics())
	}
}

func TestInterpreterAndDir(t *testing.T) {
	s, _ := newTestServer(t, true)
	dir := t.TempDir()
	out, err := create(t, s, pm(map[string]any{
		"create": "pwd", "dir": dir, "interpreter": []any{"/bin/sh", "-e", "-c"},
	}), false)
	if err != nil {
		t.Fatal(err)
	}
	if got := str(out, "stdout"); got != dir {
		t.Errorf("stdout = %q, want %q", got, dir)
	}
}

// Upstream (pulumi-go-provider infer, ensureDefaultSecrets; local.Command declares no
// WireDependencies): an output is secret only when the input of the same name is. stdout
// and stderr have no such input, so a secret stdin, environment value or command never
// makes them secret; the echoed inputs keep their own secretness.
func TestSecretnessFollowsSameNamedInputs(t *testing.T) {
	s, _ := newTestServer(t, true)
	cases := []struct {
		name       string
		in         resource.PropertyMap
		wantStdout string
		secretIn   string
	}{
		{"secret stdin", pm(map[string]any{"create": "cat", "stdin": secret("hunter2"), "logging": "none"}),
			"hunter2", "stdin"},
		{"secret environment value", pm(map[string]any{
			"create":      "echo $TOKEN",
			"environment": resource.NewObjectProperty(resource.PropertyMap{"TOKEN": secret("t0k"), "A": resource.NewStringProperty("a")}),
			"logging":     "none",
		}), "t0k", "environment"},
		{"secret command", pm(map[string]any{"create": secret("echo c0mmand"), "logging": "none"}),
			"c0mmand", "create"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := create(t, s, c.in, false)
			if err != nil {
				t.Fatal(err)
			}
			if str(out, "stdout") != c.wantStdout {
				t.Errorf("stdout = %q", str(out, "stdout"))
			}
			if out["stdout"].ContainsSecrets() || out["stderr"].ContainsSecrets() {
				t.Errorf("stdout/stderr must not be secret (no input of that name is): %v / %v", out["stdout"], out["stderr"])
			}
			if !out[resource.PropertyKey(c.secretIn)].ContainsSecrets() {
				t.Errorf("echoed %s lost its secretness: %v", c.secretIn, out[resource.PropertyKey(c.secretIn)])
			}
		})
	}

	// The echoed environment keeps the secret where it was: only TOKEN, not A.
	out, err := create(t, s, cases[1].in, false)
	if err != nil {
		t.Fatal(err)
	}
	env := out["environment"].ObjectValue()
	if !env["TOKEN"].IsSecret() || env["A"].ContainsSecrets() {
		t.Errorf("echoed environment: %v", env)
	}

	// An engine that does not accept secrets gets plain values.
	plainSrv, _ := newTestServer(t, false)
	out, err = create(t, plainSrv, pm(map[string]any{"create": "cat", "stdin": secret("x")}), false)
	if err != nil {
		t.Fatal(err)
	}
	if out.ContainsSecrets() {
		t.Errorf("acceptSecrets=false must not send secrets back: %v", out)
	}
}

func TestPreviewDoesNotRun(t *testing.T) {
	s, _ := newTestServer(t, true)
	marker := filepath.Join(t.TempDir(), "ran")
	out, err := create(t, s, pm(map[string]any{"create": "touch " + marker}), true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatalf("preview ran the command")
	}
	if !out["stdout"].IsComputed() || !out["stderr"].IsComputed() {
		t.Errorf("preview stdout/stderr must be unknown: %v", out)
	}
}

// Upstream (local/commandOutputs.go run): the error is
// fmt.Errorf("%w: running %q:\n%s", err, command, stdouterrbuf) where stdouterrbuf holds
// both streams whatever `logging` says; `logging` decides only which streams are streamed,
// line by line, as transient info status (util.LogOutput -> Logger.InfoStatus).
func TestFailureAndLogging(t *testing.T) {
	const script = `X=SECRET; echo OUT-$X; sleep 0.1; echo ERR-$X >&2; exit 7`
	// The streams are read concurrently, so either order is possible (as upstream).
	either := func(a, b string) []string { return []string{a + "\n" + b, b + "\n" + a} }
	prefix := "exit status 7: running \"" + script + "\":\n"
	wantErr := []string{prefix + "OUT-SECRET\nERR-SECRET\n", prefix + "ERR-SECRET\nOUT-SECRET\n"}
	cases := []struct {
		logging    string // "" = not set
		wantStatus []string
	}{
		{"", either("OUT-SECRET", "ERR-SECRET")},
		{"stdoutAndStderr", either("OUT-SECRET", "ERR-SECRET")},
		{"stdout", []string{"OUT-SECRET"}},
		{"stderr", []string{"ERR-SECRET"}},
		{"none", []string{""}},
	}
	oneOf := func(got string, want []string) bool {
		for _, w := range want {
			if got == w {
				return true
			}
		}
		return false
	}
	for _, c := range cases {
		t.Run("logging="+c.logging, func(t *testing.T) {
			s, rec := newTestServer(t, true)
			in := pm(map[string]any{"create": script})
			if c.logging != "" {
				in["logging"] = resource.NewStringProperty(c.logging)
			}
			_, err := create(t, s, in, false)
			if err == nil {
				t.Fatal("expected an error")
			}
			if !oneOf(err.Error(), wantErr) {
				t.Errorf("error text:\n got %q\nwant %q", err.Error(), wantErr[0])
			}
			if !oneOf(rec.all(), c.wantStatus) {
				t.Errorf("status lines = %q, want %q", rec.all(), c.wantStatus[0])
			}
			if rec.diagnostics() != "" {
				t.Errorf("command output sent as permanent diagnostics: %q", rec.diagnostics())
			}
		})
	}

	s, rec := newTestServer(t, true)
	out, err := create(t, s, pm(map[string]any{"create": "echo O; echo E >&2", "logging": "stdout"}), false)
	if err != nil {
		t.Fatal(err)
	}
	if rec.all() != "O" {
		t.Errorf("logging stdout: status = %q", rec.all())
	}
	if str(out, "stderr") != "E" {
		t.Errorf("logging never changes the outputs: stderr = %q", str(out, "stderr"))
	}

	// As upstream, the command text is quoted even when it arrived as a secret.
	s, _ = newTestServer(t, true)
	_, err = create(t, s, pm(map[string]any{"create": secret("exit 3 # pw=abc")}), false)
	if err == nil || err.Error() != "exit status 3: running \"exit 3 # pw=abc\":\n" {
		t.Errorf("secret command: %v", err)
	}

	// A command that cannot start: the start error, the command, no output.
	_, err = create(t, s, pm(map[string]any{"create": "true", "dir": filepath.Join(t.TempDir(), "missing")}), false)
	if err == nil || !strings.Contains(err.Error(), "no such file or directory: running \"true\":\n") {
		t.Errorf("missing dir: %v", err)
	}
}

func TestUpdateAndDelete(t *testing.T) {
	s, _ := newTestServer(t, true)
	olds := pm(map[string]any{
		"create": "echo first", "addPreviousOutputInEnv": true, "stdout": "first", "stderr": "e1",
	})
	update := func(news resource.PropertyMap, preview bool) resource.PropertyMap {
		t.Helper()
		resp, err := s.Update(context.Background(), &pulumirpc.UpdateRequest{
			Urn: testURN, Id: "cmd1", Olds: enc(t, olds), News: enc(t, news), Preview: preview,
		})
		if err != nil {
			t.Fatal(err)
		}
		return dec(t, resp.GetProperties())
	}

	// update unset: create runs again.
	out := update(pm(map[string]any{"create": "echo second", "addPreviousOutputInEnv": true}), false)
	if str(out, "stdout") != "second" {
		t.Errorf("update without `update` should run create: %q", str(out, "stdout"))
	}
	// update set: it runs, seeing the previous outputs.
	out = update(pm(map[string]any{
		"create": "echo second", "update": `echo "u:$PULUMI_COMMAND_STDOUT:$PULUMI_COMMAND_STDERR"`,
		"addPreviousOutputInEnv": true,
	}), false)
	if str(out, "stdout") != "u:first:e1" {
		t.Errorf("update stdout = %q", str(out, "stdout"))
	}
	// addPreviousOutputInEnv false hides them.
	out = update(pm(map[string]any{
		"update": `echo "u:${PULUMI_COMMAND_STDOUT-unset}"`, "addPreviousOutputInEnv": false,
	}), false)
	if str(out, "stdout") != "u:unset" {
		t.Errorf("addPreviousOutputInEnv=false: stdout = %q", str(out, "stdout"))
	}
	// preview: nothing runs, outputs unknown.
	out = update(pm(map[string]any{"create": "exit 1"}), true)
	if !out["stdout"].IsComputed() {
		t.Errorf("update preview: stdout = %v", out["stdout"])
	}
	// neither create nor update: previous outputs stay.
	out = update(pm(map[string]any{"delete": "true"}), false)
	if str(out, "stdout") != "first" {
		t.Errorf("no command: stdout = %q", str(out, "stdout"))
	}
	// failing update fails the operation with the exit status.
	_, err := s.Update(context.Background(), &pulumirpc.UpdateRequest{
		Urn: testURN, Olds: enc(t, olds), News: enc(t, pm(map[string]any{"update": "exit 4"})),
	})
	if err == nil || !strings.Contains(err.Error(), "exit status 4") {
		t.Errorf("failing update: %v", err)
	}

	// Delete runs `delete` with the stored outputs in the environment.
	marker := filepath.Join(t.TempDir(), "deleted")
	state := pm(map[string]any{
		"create": "echo x", "delete": `echo "$PULUMI_COMMAND_STDOUT" > ` + marker,
		"addPreviousOutputInEnv": true, "stdout": "x", "stderr": "",
	})
	if _, err := s.Delete(context.Background(), &pulumirpc.DeleteRequest{
		Urn: testURN, Id: "cmd1", Properties: enc(t, state),
	}); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(marker); err != nil || string(b) != "x\n" {
		t.Errorf("delete command output %q, %v", b, err)
	}
	state["delete"] = resource.NewStringProperty("exit 5")
	if _, err := s.Delete(context.Background(), &pulumirpc.DeleteRequest{
		Urn: testURN, Properties: enc(t, state),
	}); err == nil || !strings.Contains(err.Error(), "exit status 5") {
		t.Errorf("failing delete: %v", err)
	}
	// No delete command: nothing to do.
	delete(state, "delete")
	if _, err := s.Delete(context.Background(), &pulumirpc.DeleteRequest{
		Urn: testURN, Properties: enc(t, state),
	}); err != nil {
		t.Errorf("delete without a command: %v", err)
	}
}

// Upstream decodes the old state into plain strings and re-marks only same-named inputs:
// a secret previous stdout handed to `update` through PULUMI_COMMAND_STDOUT does not make
// the new stdout secret, and an update that runs nothing returns the old values unmarked.
func TestPreviousSecretOutputIsNotCarriedOver(t *testing.T) {
	s, _ := newTestServer(t, true)
	olds := pm(map[string]any{"create": "x", "stdout": secret("old"), "stderr": secret("e")})
	for _, c := range []struct {
		name string
		news resource.PropertyMap
	}{
		{"update runs", pm(map[string]any{"update": `echo "$PULUMI_COMMAND_STDOUT"`, "addPreviousOutputInEnv": true})},
		{"nothing runs", pm(map[string]any{"delete": `echo "$PULUMI_COMMAND_STDOUT"`, "addPreviousOutputInEnv": true})},
	} {
		resp, err := s.Update(context.Background(), &pulumirpc.UpdateRequest{
			Urn: testURN, Olds: enc(t, olds), News: enc(t, c.news),
		})
		if err != nil {
			t.Fatal(err)
		}
		out := dec(t, resp.GetProperties())
		if out["stdout"].ContainsSecrets() || out["stderr"].ContainsSecrets() || str(out, "stdout") != "old" {
			t.Errorf("%s: stdout = %v, stderr = %v", c.name, out["stdout"], out["stderr"])
		}
	}
}

func TestReadReturnsState(t *testing.T) {
	s, _ := newTestServer(t, true)
	state := enc(t, pm(map[string]any{"create": "x", "stdout": "o", "stderr": ""}))
	resp, err := s.Read(context.Background(), &pulumirpc.ReadRequest{Urn: testURN, Id: "id1", Properties: state})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetId() != "id1" || str(dec(t, resp.GetProperties()), "stdout") != "o" {
		t.Errorf("read = %v", resp)
	}
}

func TestInvokeRun(t *testing.T) {
	s, rec := newTestServer(t, true)
	invoke := func(args resource.PropertyMap, preview bool) (*pulumirpc.InvokeResponse, error) {
		return s.Invoke(context.Background(), &pulumirpc.InvokeRequest{
			Tok: "command:local:run", Args: enc(t, args), Preview: preview,
		})
	}
	for _, preview := range []bool{true, false} {
		resp, err := invoke(pm(map[string]any{
			"command": `echo "$A"; cat`, "environment": map[string]any{"A": "a"}, "stdin": "in",
		}), preview)
		if err != nil {
			t.Fatal(err)
		}
		out := dec(t, resp.GetReturn())
		if str(out, "stdout") != "a\nin" || str(out, "command") != `echo "$A"; cat` {
			t.Errorf("preview=%v: run returned %v", preview, out)
		}
		if v := out["addPreviousOutputInEnv"]; !v.IsBool() || !v.BoolValue() {
			t.Errorf("addPreviousOutputInEnv echo = %v", v)
		}
	}
	if rec.all() != "a\nin\na\nin" || rec.diagnostics() != "" {
		t.Errorf("run should stream its output as status by default: status %q, diagnostics %q", rec.all(), rec.diagnostics())
	}

	// Upstream's infer.Invoke re-marks only the echoed inputs: stdout stays plain.
	resp, err := invoke(pm(map[string]any{"command": "cat", "stdin": secret("pw"), "logging": "none"}), false)
	if err != nil {
		t.Fatal(err)
	}
	if out := dec(t, resp.GetReturn()); out["stdout"].ContainsSecrets() || !out["stdin"].IsSecret() || str(out, "stdout") != "pw" {
		t.Errorf("run with a secret stdin: stdout %v, stdin %v", out["stdout"], out["stdin"])
	}

	_, err = invoke(pm(map[string]any{"command": "L=LEAK; echo L-$L; exit 9", "logging": "none"}), false)
	if err == nil || err.Error() != "exit status 9: running \"L=LEAK; echo L-$L; exit 9\":\nL-LEAK\n" {
		t.Errorf("failing run with logging none quotes its output as upstream does: %v", err)
	}

	resp, err = invoke(pm(map[string]any{"stdin": "x"}), false)
	if err != nil || len(resp.GetFailures()) == 0 {
		t.Errorf("run without command should fail validation: %v %v", resp, err)
	}

	if _, err := s.Invoke(context.Background(), &pulumirpc.InvokeRequest{Tok: "command:remote:run"}); err == nil {
		t.Errorf("unknown function should fail")
	}
}

func TestPluginInfoAndSchema(t *testing.T) {
	s, _ := newTestServer(t, true)
	info, err := s.GetPluginInfo(context.Background(), nil)
	if err != nil || info.GetVersion() != "1.2.1" {
		t.Errorf("plugin info = %v, %v", info, err)
	}
	sch, err := s.GetSchema(context.Background(), &pulumirpc.GetSchemaRequest{})
	if err != nil || !strings.Contains(sch.GetSchema(), `"command:local:Command"`) {
		t.Errorf("schema = %v, %v", sch, err)
	}
}
