// Command pulumi-language-nodejs is THIS PROJECT'S MINIMAL Node.js language host for
// the Pulumi CLI. It is not Pulumi's official host: the Go module proxy this project
// builds from refuses github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3,
// so we implement the small part of the LanguageRuntime gRPC service that
// `pulumi preview/up/destroy/refresh` needs for a plain npm + TypeScript project:
//
//   - GetRequiredPackages: scan node_modules for package.json files with
//     "pulumi": {"resource": true} and report the provider plugins they need.
//   - Run: start `node <@pulumi/pulumi/cmd/run> --monitor ... <entry point>` with the
//     stack configuration in PULUMI_CONFIG / PULUMI_CONFIG_SECRET_KEYS, the way the
//     official host does (ts-node is used by the SDK when PULUMI_NODEJS_TYPESCRIPT=true).
//   - GetPluginInfo, Handshake, About, GetProgramDependencies, InstallDependencies
//     (`npm install`), RuntimeOptionsPrompts, Template and Cancel.
//
// Everything else (code generation, plugins written in Node.js, policy packs, bun,
// yarn/pnpm, debugger attach, synchronous invokes) answers codes.Unimplemented.
//
// The host does not proxy the resource monitor: the Node.js SDK talks straight to the
// engine's monitor address. `node` is looked up on PATH, so PATH must find a Node.js that
// @pulumi/pulumi supports (>= 22 for @pulumi/pulumi 3.249 and later) before any older one.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// version is set with -ldflags "-X main.version=..."; the "+vaultstack.minimal" build
// metadata marks this host as the project's own, and is ignored by semver comparisons.
var version = "3.274.1+vaultstack.minimal"

const (
	runModule = "@pulumi/pulumi/cmd/run"
	// The SDK exits with this code after it has already shown the user a good message.
	exitCodeAlreadyReported = 32
	// Oldest Node.js major the @pulumi/pulumi releases this project uses accept.
	minNodeMajor = 22
)

func main() {
	showVersion := flag.Bool("version", false, "print the version and exit")
	tracing := flag.String("tracing", "", "Zipkin-compatible tracing endpoint (passed on to the Node.js SDK)")
	runtimeName := flag.String("runtime", "nodejs", "only nodejs is supported by this minimal host")
	flag.String("root", "", "ignored; accepted for compatibility")
	flag.Parse()

	if *showVersion {
		fmt.Printf("%s (vault-stack minimal Node.js language host, not the official pulumi-language-nodejs)\n", version)
		return
	}
	if *runtimeName != "nodejs" {
		fatalf("unsupported runtime %q: this minimal host only runs nodejs", *runtimeName)
	}

	engineAddress := ""
	if args := flag.Args(); len(args) > 0 {
		engineAddress = args[0]
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	stopServing := make(chan bool)
	go func() {
		<-ctx.Done()
		close(stopServing)
	}()

	if engineAddress != "" {
		// Exit when the engine goes away, like the official host.
		if err := rpcutil.Healthcheck(ctx, engineAddress, 5*time.Minute, stop); err != nil {
			fatalf("could not start the engine health check: %v", err)
		}
	}

	host := newHost(engineAddress, *tracing)
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: stopServing,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
	})
	if err != nil {
		fatalf("could not start the language host gRPC server: %v", err)
	}

	// The engine reads the port from our first line of stdout.
	fmt.Printf("%d\n", handle.Port)

	if err := <-handle.Done; err != nil {
		fatalf("language host stopped serving: %v", err)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: "+format+"\n", args...)
	os.Exit(1)
}

type nodeHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	mu            sync.Mutex
	engineAddress string
	tracing       string

	cancelCtx  context.Context
	cancelFunc context.CancelFunc
}

func newHost(engineAddress, tracing string) *nodeHost {
	ctx, cancel := context.WithCancel(context.Background())
	return &nodeHost{engineAddress: engineAddress, tracing: tracing, cancelCtx: ctx, cancelFunc: cancel}
}

func (h *nodeHost) engine() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.engineAddress
}

func (h *nodeHost) Handshake(ctx context.Context,
	req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.mu.Lock()
	h.engineAddress = req.GetEngineAddress()
	h.mu.Unlock()
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *nodeHost) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func (h *nodeHost) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	h.cancelFunc()
	return &emptypb.Empty{}, nil
}

func (h *nodeHost) RuntimeOptionsPrompts(context.Context,
	*pulumirpc.RuntimeOptionsRequest,
) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

func (h *nodeHost) Template(context.Context, *pulumirpc.TemplateRequest) (*pulumirpc.TemplateResponse, error) {
	return &pulumirpc.TemplateResponse{}, nil
}

// ---------------------------------------------------------------------------------------
// Runtime options from Pulumi.yaml (runtime.options).

type nodeOptions struct {
	typescript bool
	tsconfig   string
	nodeargs   []string
}

func parseOptions(info *pulumirpc.ProgramInfo) (nodeOptions, error) {
	opts := nodeOptions{typescript: true}
	if info == nil || info.GetOptions() == nil {
		return opts, nil
	}
	m := info.GetOptions().AsMap()
	if v, ok := m["typescript"]; ok {
		b, isBool := v.(bool)
		if !isBool {
			return opts, errors.New("runtime option 'typescript' must be a boolean")
		}
		opts.typescript = b
	}
	if v, ok := m["tsconfig"]; ok {
		s, isString := v.(string)
		if !isString {
			return opts, errors.New("runtime option 'tsconfig' must be a string")
		}
		opts.tsconfig = s
	}
	if v, ok := m["nodeargs"]; ok {
		s, isString := v.(string)
		if !isString {
			return opts, errors.New("runtime option 'nodeargs' must be a string")
		}
		// Plain whitespace splitting: this minimal host does not support quoting.
		opts.nodeargs = strings.Fields(s)
	}
	if v, ok := m["packagemanager"]; ok {
		if s, _ := v.(string); s != "" && s != "npm" && s != "auto" {
			return opts, fmt.Errorf("runtime option packagemanager=%q: this minimal host only supports npm", s)
		}
	}
	return opts, nil
}

// ---------------------------------------------------------------------------------------
// Node.js discovery.

// findNode returns the path and version ("v24.1.0") of the node on PATH, and an error
// naming the problem if it is missing or too old for the Pulumi SDK.
func findNode(ctx context.Context) (string, string, error) {
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return "", "", fmt.Errorf("could not find node on PATH: %w", err)
	}
	out, err := exec.CommandContext(ctx, nodeBin, "--version").Output()
	if err != nil {
		return nodeBin, "", fmt.Errorf("could not run %s --version: %w", nodeBin, err)
	}
	ver := strings.TrimSpace(string(out))
	major, convErr := strconv.Atoi(strings.SplitN(strings.TrimPrefix(ver, "v"), ".", 2)[0])
	if convErr == nil && major < minNodeMajor {
		return nodeBin, ver, fmt.Errorf(
			"node %s at %s is too old: @pulumi/pulumi needs Node.js >= %d; put a newer node first on PATH",
			ver, nodeBin, minNodeMajor)
	}
	return nodeBin, ver, nil
}

// resolveModule asks node where a module resolves from the program directory.
func resolveModule(ctx context.Context, nodeBin, dir, module string) (string, error) {
	script := fmt.Sprintf(`try { console.log(require.resolve(%q)); } catch (e) { `+
		`console.error(e.code === "MODULE_NOT_FOUND" ? `+
		`"It looks like the Pulumi SDK has not been installed. Have you run npm install?" : e.message); `+
		`process.exit(1); }`, module)
	cmd := exec.CommandContext(ctx, nodeBin, "-e", script)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) && len(exitErr.Stderr) > 0 {
			return "", errors.New(strings.TrimSpace(string(exitErr.Stderr)))
		}
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// ---------------------------------------------------------------------------------------
// Run.

func (h *nodeHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	if info == nil {
		return nil, errors.New("RunRequest without program info: this host needs a Pulumi CLI >= 3.100")
	}
	opts, err := parseOptions(info)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	nodeBin, _, err := findNode(ctx)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	runPath := os.Getenv("PULUMI_LANGUAGE_NODEJS_RUN_PATH")
	if runPath == "" {
		runPath = runModule
	}
	runPath, err = resolveModule(ctx, nodeBin, info.GetProgramDirectory(), runPath)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	cfg, err := configJSON(req.GetConfig())
	if err != nil {
		return &pulumirpc.RunResponse{Error: "failed to serialize configuration: " + err.Error()}, nil
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secretKeysJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return &pulumirpc.RunResponse{Error: "failed to serialize secret keys: " + err.Error()}, nil
	}

	env := append(os.Environ(),
		"PULUMI_CONFIG="+cfg,
		"PULUMI_CONFIG_SECRET_KEYS="+string(secretKeysJSON))
	if opts.typescript {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if opts.tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+opts.tsconfig)
	}

	args := append([]string{}, opts.nodeargs...)
	args = append(args, runPath)
	addFlag := func(name, value string) {
		if value != "" {
			args = append(args, "--"+name, value)
		}
	}
	addFlag("monitor", req.GetMonitorAddress())
	addFlag("engine", h.engine())
	addFlag("organization", req.GetOrganization())
	addFlag("project", req.GetProject())
	addFlag("root-directory", info.GetRootDirectory())
	addFlag("stack", req.GetStack())
	addFlag("pwd", info.GetProgramDirectory())
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	addFlag("parallel", strconv.Itoa(int(req.GetParallel())))
	addFlag("tracing", h.tracing)
	entry := info.GetEntryPoint()
	if entry == "" {
		entry = "."
	}
	args = append(args, entry)
	args = append(args, req.GetArgs()...)

	// Stop node when the engine cancels (Cancel RPC) or the request ends.
	cmdCtx, cmdCancel := context.WithCancel(h.cancelCtx)
	defer cmdCancel()
	stopAfter := context.AfterFunc(ctx, cmdCancel)
	defer stopAfter()

	cmd := exec.CommandContext(cmdCtx, nodeBin, args...)
	cmd.Env = env
	// Node may switch its stdio to non-blocking mode; give it pipes rather than our own fds.
	cmd.Stdout = struct{ io.Writer }{os.Stdout}
	cmd.Stderr = struct{ io.Writer }{os.Stderr}
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second

	runErr := cmd.Run()
	_ = os.Stdout.Sync()
	_ = os.Stderr.Sync()
	if runErr == nil {
		return &pulumirpc.RunResponse{}, nil
	}
	var exitErr *exec.ExitError
	if errors.As(runErr, &exitErr) {
		code := exitErr.ExitCode()
		if code == exitCodeAlreadyReported {
			return &pulumirpc.RunResponse{Bail: true}, nil
		}
		if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return &pulumirpc.RunResponse{Error: "Program was stopped by signal " + ws.Signal().String()}, nil
		}
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", code)}, nil
	}
	return &pulumirpc.RunResponse{
		Error: "Problem executing program (could not run language executor): " + runErr.Error(),
	}, nil
}

// configJSON renders the stack configuration the way @pulumi/pulumi reads PULUMI_CONFIG:
// a JSON object keyed "<namespace>:config:<name>" (the SDK also accepts "<namespace>:<name>").
func configJSON(cfg map[string]string) (string, error) {
	out := make(map[string]string, len(cfg))
	for k, v := range cfg {
		key, err := config.ParseKey(k)
		if err != nil {
			return "", err
		}
		out[key.Namespace()+":config:"+key.Name()] = v
	}
	b, err := json.Marshal(out)
	return string(b), err
}

// ---------------------------------------------------------------------------------------
// Required provider plugins.

type packageJSON struct {
	Name            string            `json:"name"`
	Version         string            `json:"version"`
	Dependencies    map[string]string `json:"dependencies"`
	DevDependencies map[string]string `json:"devDependencies"`
	Pulumi          struct {
		Resource         bool   `json:"resource"`
		Name             string `json:"name"`
		Version          string `json:"version"`
		Server           string `json:"server"`
		Parameterization *struct {
			Name    string `json:"name"`
			Version string `json:"version"`
			Value   []byte `json:"value"`
		} `json:"parameterization"`
	} `json:"pulumi"`
}

func readPackageJSON(path string) (*packageJSON, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var p packageJSON
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	return &p, nil
}

func (h *nodeHost) GetRequiredPackages(ctx context.Context,
	req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	dir := req.GetInfo().GetProgramDirectory()
	if dir == "" {
		return nil, errors.New("GetRequiredPackages: no program directory")
	}
	found := map[string]*pulumirpc.PackageDependency{}
	visited := map[string]bool{}
	var walk func(dir string, inNodeModules bool)
	walk = func(dir string, inNodeModules bool) {
		real, err := filepath.EvalSymlinks(dir)
		if err != nil || visited[real] {
			return
		}
		visited[real] = true
		entries, err := os.ReadDir(dir)
		if err != nil {
			return
		}
		for _, e := range entries {
			path := filepath.Join(dir, e.Name())
			isDir := e.IsDir()
			if e.Type()&os.ModeSymlink != 0 {
				if st, err := os.Stat(path); err == nil {
					isDir = st.IsDir()
				}
			}
			switch {
			case isDir:
				if e.Name() == ".git" {
					continue
				}
				walk(path, inNodeModules || filepath.Base(dir) == "node_modules")
			case inNodeModules && e.Name() == "package.json":
				p, err := readPackageJSON(path)
				if err != nil || !p.Pulumi.Resource {
					continue
				}
				dep, err := packageDependency(p)
				if err != nil {
					fmt.Fprintf(os.Stderr, "warning: %s: %v\n", path, err)
					continue
				}
				found[dep.Name+"@"+dep.Version] = dep
			}
		}
	}
	walk(dir, false)

	keys := make([]string, 0, len(found))
	for k := range found {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	resp := &pulumirpc.GetRequiredPackagesResponse{}
	for _, k := range keys {
		resp.Packages = append(resp.Packages, found[k])
	}
	return resp, nil
}

func packageDependency(p *packageJSON) (*pulumirpc.PackageDependency, error) {
	name := p.Pulumi.Name
	if name == "" {
		if !strings.HasPrefix(p.Name, "@pulumi/") {
			return nil, fmt.Errorf("third-party package %q must name its plugin in pulumi.name", p.Name)
		}
		name = strings.TrimPrefix(p.Name, "@pulumi/")
	}
	ver := p.Pulumi.Version
	if ver == "" {
		ver = p.Version
	}
	if ver == "" {
		return nil, errors.New("no version")
	}
	if !strings.HasPrefix(ver, "v") {
		ver = "v" + ver
	}
	dep := &pulumirpc.PackageDependency{Name: name, Kind: "resource", Version: ver, Server: p.Pulumi.Server}
	if pz := p.Pulumi.Parameterization; pz != nil {
		dep.Parameterization = &pulumirpc.PackageParameterization{Name: pz.Name, Version: pz.Version, Value: pz.Value}
	}
	return dep, nil
}

// ---------------------------------------------------------------------------------------
// Informational RPCs.

func (h *nodeHost) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	nodeBin, ver, err := findNode(ctx)
	if nodeBin == "" {
		return nil, err
	}
	return &pulumirpc.AboutResponse{
		Executable: nodeBin,
		Version:    ver,
		Metadata:   map[string]string{"packagemanager": "npm", "languagehost": "vault-stack minimal " + version},
	}, nil
}

func (h *nodeHost) GetProgramDependencies(ctx context.Context,
	req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	dir := req.GetInfo().GetProgramDirectory()
	root, err := readPackageJSON(filepath.Join(dir, "package.json"))
	if err != nil {
		return nil, fmt.Errorf("reading the program's package.json: %w", err)
	}
	names := map[string]bool{}
	for n := range root.Dependencies {
		names[n] = true
	}
	for n := range root.DevDependencies {
		names[n] = true
	}
	if req.GetTransitiveDependencies() {
		// Everything installed at the top of node_modules (npm hoists most packages there).
		entries, _ := os.ReadDir(filepath.Join(dir, "node_modules"))
		for _, e := range entries {
			n := e.Name()
			if strings.HasPrefix(n, ".") {
				continue
			}
			if strings.HasPrefix(n, "@") {
				scoped, _ := os.ReadDir(filepath.Join(dir, "node_modules", n))
				for _, s := range scoped {
					names[n+"/"+s.Name()] = true
				}
				continue
			}
			names[n] = true
		}
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	resp := &pulumirpc.GetProgramDependenciesResponse{}
	for _, n := range sorted {
		p, err := readPackageJSON(filepath.Join(dir, "node_modules", filepath.FromSlash(n), "package.json"))
		if err != nil {
			continue // declared but not installed
		}
		resp.Dependencies = append(resp.Dependencies, &pulumirpc.DependencyInfo{Name: n, Version: p.Version})
	}
	return resp, nil
}

// ---------------------------------------------------------------------------------------
// InstallDependencies: `npm install` in the program directory (used by `pulumi install`).

func (h *nodeHost) InstallDependencies(req *pulumirpc.InstallDependenciesRequest,
	server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	closer, stdout, stderr, err := rpcutil.MakeInstallDependenciesStreams(server, req.GetIsTerminal())
	if err != nil {
		return err
	}
	defer closer.Close()

	dir := req.GetInfo().GetProgramDirectory()
	fmt.Fprintf(stdout, "Installing dependencies with npm in %s...\n\n", dir)
	cmd := exec.CommandContext(server.Context(), "npm", "install")
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("npm install failed: %w", err)
	}
	fmt.Fprintf(stdout, "Finished installing dependencies\n\n")
	return closer.Close()
}
