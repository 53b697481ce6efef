package main

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

const (
	providerName = "command"
	commandType  = "command:local:Command"
	runFunction  = "command:local:run"
)

// engineLog is the part of the engine host this provider uses: the Log RPC with
// ephemeral=true (LogStatus), which the engine shows as the resource's transient status
// and does not keep among the update's diagnostics. *provider.HostClient implements it;
// tests use a recorder.
type engineLog interface {
	LogStatus(ctx context.Context, sev diag.Severity, urn resource.URN, msg string) error
}

type server struct {
	pulumirpc.UnimplementedResourceProviderServer

	host    engineLog
	version string

	// What the engine said it accepts in Configure. Before Configure both are false,
	// so nothing secret or resource-typed is sent back to an engine that cannot take it.
	acceptSecrets   atomic.Bool
	acceptResources atomic.Bool
}

func newServer(host engineLog, version string) *server {
	return &server{host: host, version: version}
}

// GetPluginInfo answers the version this build was stamped with (-X main.Version=1.2.1).
// This is this project's implementation of the local subset of the command provider,
// not Pulumi's official binary; PluginInfo has no field to say so, GetSchema's
// description does.
func (s *server) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: s.version}, nil
}

func (s *server) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	return &pulumirpc.GetSchemaResponse{Schema: schemaJSON(s.version)}, nil
}

func (s *server) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	// The provider takes no configuration; whatever the SDK sends (e.g. `version`) is kept.
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (s *server) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

func (s *server) Configure(_ context.Context, req *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	s.acceptSecrets.Store(req.GetAcceptSecrets())
	s.acceptResources.Store(req.GetAcceptResources())
	return &pulumirpc.ConfigureResponse{
		AcceptSecrets:   true,
		AcceptResources: true,
		SupportsPreview: true,
	}, nil
}

func (s *server) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

// unmarshal decodes properties from the engine keeping secrets, unknowns and resources.
func (s *server) unmarshal(label string, st *structpb.Struct) (resource.PropertyMap, error) {
	m, err := plugin.UnmarshalProperties(st, plugin.MarshalOptions{
		Label: label, KeepUnknowns: true, KeepSecrets: true, KeepResources: true, SkipNulls: true,
	})
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "%s: %v", label, err)
	}
	return m, nil
}

// marshal encodes properties for the engine, keeping secrets/resources only if it accepts them.
func (s *server) marshal(label string, m resource.PropertyMap) (*structpb.Struct, error) {
	return plugin.MarshalProperties(m, plugin.MarshalOptions{
		Label: label, KeepUnknowns: true, SkipNulls: true,
		KeepSecrets: s.acceptSecrets.Load(), KeepResources: s.acceptResources.Load(),
	})
}

func checkType(urn string) error {
	if t := resource.URN(urn).Type(); t != commandType {
		return status.Errorf(codes.InvalidArgument, "unknown resource type %q: this provider implements only %s",
			t, commandType)
	}
	return nil
}

// Check validates the inputs of command:local:Command and fills the default
// addPreviousOutputInEnv = true (the only default upstream fills in Check).
func (s *server) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	if err := checkType(req.GetUrn()); err != nil {
		return nil, err
	}
	news, err := s.unmarshal("Check.news", req.GetNews())
	if err != nil {
		return nil, err
	}
	var failures []*pulumirpc.CheckFailure
	for _, f := range validate(news, commandInputKeys) {
		failures = append(failures, &pulumirpc.CheckFailure{Property: f.Property, Reason: f.Reason})
	}
	if _, has := news[pAddPreviousOutputInEnv]; !has || news[pAddPreviousOutputInEnv].IsNull() {
		news[pAddPreviousOutputInEnv] = resource.NewBoolProperty(true)
	}
	inputs, err := s.marshal("Check.inputs", news)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CheckResponse{Inputs: inputs, Failures: failures}, nil
}

// Diff compares the new inputs with the stored state, input by input. Secretness alone
// is not a change. A changed `triggers` asks for a replacement; any other changed input
// is an update (which runs `update`, or `create` when `update` is not set). No change,
// no diff. An unknown new value counts as a change.
func (s *server) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	if err := checkType(req.GetUrn()); err != nil {
		return nil, err
	}
	olds, err := s.unmarshal("Diff.olds", req.GetOlds())
	if err != nil {
		return nil, err
	}
	news, err := s.unmarshal("Diff.news", req.GetNews())
	if err != nil {
		return nil, err
	}
	ignore := map[string]bool{}
	for _, k := range req.GetIgnoreChanges() {
		ignore[k] = true
	}
	return diffInputs(olds, news, ignore), nil
}

func diffInputs(olds, news resource.PropertyMap, ignore map[string]bool) *pulumirpc.DiffResponse {
	resp := &pulumirpc.DiffResponse{
		Changes:         pulumirpc.DiffResponse_DIFF_NONE,
		DetailedDiff:    map[string]*pulumirpc.PropertyDiff{},
		HasDetailedDiff: true,
	}
	for _, k := range commandInputKeys {
		if ignore[k] {
			continue
		}
		o := plain(olds[resource.PropertyKey(k)])
		n := plain(news[resource.PropertyKey(k)])
		var kind pulumirpc.PropertyDiff_Kind
		switch {
		case n.ContainsUnknowns():
			kind = pulumirpc.PropertyDiff_UPDATE
		case o.IsNull() && n.IsNull():
			continue
		case o.IsNull():
			kind = pulumirpc.PropertyDiff_ADD
		case n.IsNull():
			kind = pulumirpc.PropertyDiff_DELETE
		case o.DeepEquals(n):
			continue
		default:
			kind = pulumirpc.PropertyDiff_UPDATE
		}
		if k == pTriggers {
			switch kind {
			case pulumirpc.PropertyDiff_ADD:
				kind = pulumirpc.PropertyDiff_ADD_REPLACE
			case pulumirpc.PropertyDiff_DELETE:
				kind = pulumirpc.PropertyDiff_DELETE_REPLACE
			default:
				kind = pulumirpc.PropertyDiff_UPDATE_REPLACE
			}
			resp.Replaces = append(resp.Replaces, k)
		}
		resp.Changes = pulumirpc.DiffResponse_DIFF_SOME
		resp.Diffs = append(resp.Diffs, k)
		resp.DetailedDiff[k] = &pulumirpc.PropertyDiff{Kind: kind, InputDiff: true}
	}
	return resp
}

// withTimeout applies the resource's customTimeouts (seconds; 0 = none).
func withTimeout(ctx context.Context, seconds float64) (context.Context, context.CancelFunc) {
	if seconds > 0 {
		return context.WithTimeout(ctx, time.Duration(seconds*float64(time.Second)))
	}
	return context.WithCancel(ctx)
}

// logger returns the line logger for one operation: each line of command output goes to
// the engine as a transient status message (LogStatus, severity info) tied to urn, as
// upstream's util.LogOutput does with Logger.InfoStatus. The engine shows it while the
// step runs and does not keep it among the update's diagnostics.
func (s *server) logger(ctx context.Context, urn string) lineLogger {
	if s.host == nil {
		return nil
	}
	return func(line string) {
		_ = s.host.LogStatus(ctx, diag.Info, resource.URN(urn), line)
	}
}

// outputs builds the returned properties: the inputs as given (each keeping its own
// secretness) plus stdout and stderr as they are. As upstream (pulumi-go-provider infer's
// default secret wiring, ensureDefaultSecrets: an output is secret only when the input of
// the same name is), nothing makes stdout or stderr secret: there is no input of that
// name. A program whose command prints a secret lists them in additionalSecretOutputs.
func outputs(inputs resource.PropertyMap, stdout, stderr resource.PropertyValue) resource.PropertyMap {
	out := inputs.Copy()
	out[pStdout] = stdout
	out[pStderr] = stderr
	return out
}

func unknownString() resource.PropertyValue {
	return resource.MakeComputed(resource.NewStringProperty(""))
}

func (s *server) Create(ctx context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	if err := checkType(req.GetUrn()); err != nil {
		return nil, err
	}
	props, err := s.unmarshal("Create.properties", req.GetProperties())
	if err != nil {
		return nil, err
	}
	name := req.GetName()
	if name == "" {
		name = resource.URN(req.GetUrn()).Name()
	}
	id, err := resource.NewUniqueHex(name, 8, 0)
	if err != nil {
		return nil, err
	}

	var state resource.PropertyMap
	if req.GetPreview() {
		// Preview never runs the command; stdout and stderr are unknown until `up`.
		state = outputs(props, unknownString(), unknownString())
	} else {
		args, err := decodeCommand(props)
		if err != nil {
			return nil, status.Error(codes.InvalidArgument, err.Error())
		}
		var res result
		if args.Create != nil {
			ctx, cancel := withTimeout(ctx, req.GetTimeout())
			defer cancel()
			res, err = run(ctx, execution{
				Command: *args.Create, Args: args.baseArgs, Log: s.logger(ctx, req.GetUrn()),
			})
			if err != nil {
				return nil, err
			}
		}
		state = outputs(props, resource.NewStringProperty(res.Stdout), resource.NewStringProperty(res.Stderr))
	}
	st, err := s.marshal("Create.state", state)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: st}, nil
}

func (s *server) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	if err := checkType(req.GetUrn()); err != nil {
		return nil, err
	}
	// A command has nothing to look up: the stored state is the truth.
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
}

// previous returns the stored stdout/stderr.
func previous(state resource.PropertyMap) (stdout, stderr string) {
	if v := plain(state[pStdout]); v.IsString() {
		stdout = v.StringValue()
	}
	if v := plain(state[pStderr]); v.IsString() {
		stderr = v.StringValue()
	}
	return
}

func (s *server) Update(ctx context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	if err := checkType(req.GetUrn()); err != nil {
		return nil, err
	}
	olds, err := s.unmarshal("Update.olds", req.GetOlds())
	if err != nil {
		return nil, err
	}
	news, err := s.unmarshal("Update.news", req.GetNews())
	if err != nil {
		return nil, err
	}
	prevOut, prevErr := previous(olds)

	var state resource.PropertyMap
	if req.GetPreview() {
		state = outputs(news, unknownString(), unknownString())
	} else {
		args, err := decodeCommand(news)
		if err != nil {
			return nil, status.Error(codes.InvalidArgument, err.Error())
		}
		cmd := args.Create
		if args.Update != nil {
			cmd = args.Update
		}
		if cmd == nil {
			// Neither update nor create: nothing runs, the previous values stay. Upstream
			// decodes the old state into plain Go strings, so they come back without the
			// secret mark the engine may have stored them with (additionalSecretOutputs
			// marks them again).
			state = outputs(news, plain(olds[pStdout]), plain(olds[pStderr]))
		} else {
			ctx, cancel := withTimeout(ctx, req.GetTimeout())
			defer cancel()
			res, err := run(ctx, execution{
				Command: *cmd, Args: args.baseArgs,
				PrevStdout: prevOut, PrevStderr: prevErr, Log: s.logger(ctx, req.GetUrn()),
			})
			if err != nil {
				return nil, err
			}
			state = outputs(news, resource.NewStringProperty(res.Stdout), resource.NewStringProperty(res.Stderr))
		}
	}
	st, err := s.marshal("Update.state", state)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: st}, nil
}

func (s *server) Delete(ctx context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	if err := checkType(req.GetUrn()); err != nil {
		return nil, err
	}
	props, err := s.unmarshal("Delete.properties", req.GetProperties())
	if err != nil {
		return nil, err
	}
	args, err := decodeCommand(props)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	if args.Delete == nil {
		return &emptypb.Empty{}, nil
	}
	prevOut, prevErr := previous(props)
	ctx, cancel := withTimeout(ctx, req.GetTimeout())
	defer cancel()
	if _, err := run(ctx, execution{
		Command: *args.Delete, Args: args.baseArgs,
		PrevStdout: prevOut, PrevStderr: prevErr, Log: s.logger(ctx, req.GetUrn()),
	}); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

// Invoke implements command:local:run. It always runs, in preview too. The result
// echoes the inputs (with addPreviousOutputInEnv defaulted to true, each keeping its own
// secretness) plus stdout and stderr, which are never secret here (as upstream's
// infer.Invoke: only the echoed inputs are re-marked). The Node SDK's invokeOutput marks
// the whole result secret in the program when any argument was secret.
func (s *server) Invoke(ctx context.Context, req *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	if req.GetTok() != runFunction {
		return nil, status.Errorf(codes.NotFound, "unknown function %q: this provider implements only %s",
			req.GetTok(), runFunction)
	}
	in, err := s.unmarshal("Invoke.args", req.GetArgs())
	if err != nil {
		return nil, err
	}
	if fails := validate(in, runInputKeys, pCommand); len(fails) > 0 {
		resp := &pulumirpc.InvokeResponse{}
		for _, f := range fails {
			resp.Failures = append(resp.Failures, &pulumirpc.CheckFailure{Property: f.Property, Reason: f.Reason})
		}
		return resp, nil
	}
	if _, has := in[pAddPreviousOutputInEnv]; !has || in[pAddPreviousOutputInEnv].IsNull() {
		in[pAddPreviousOutputInEnv] = resource.NewBoolProperty(true)
	}

	var ret resource.PropertyMap
	if in.ContainsUnknowns() {
		// Cannot run yet (only possible in preview): the results are unknown.
		ret = outputs(in, unknownString(), unknownString())
	} else {
		args, err := decodeBase(in)
		if err != nil {
			return nil, status.Error(codes.InvalidArgument, err.Error())
		}
		cmd := plain(in[pCommand]).StringValue()
		res, err := run(ctx, execution{Command: cmd, Args: args, Log: s.logger(ctx, "")})
		if err != nil {
			return nil, err
		}
		ret = outputs(in, resource.NewStringProperty(res.Stdout), resource.NewStringProperty(res.Stderr))
	}
	st, err := s.marshal("Invoke.return", ret)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.InvokeResponse{Return: st}, nil
}

// Unsupported calls answer clearly instead of the generic "unimplemented".
func (s *server) Construct(context.Context, *pulumirpc.ConstructRequest) (*pulumirpc.ConstructResponse, error) {
	return nil, status.Error(codes.Unimplemented, "the command provider has no component resources")
}

func (s *server) Call(context.Context, *pulumirpc.CallRequest) (*pulumirpc.CallResponse, error) {
	return nil, status.Error(codes.Unimplemented, "the command provider has no methods")
}
