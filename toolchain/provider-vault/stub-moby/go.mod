// Empty stand-in for github.com/moby/moby (+incompatible). pulumi/pkg v3.218.0
// requires moby/moby v28.3.3, whose client/ folder collides with the separate
// github.com/moby/moby/client module that terraform-provider-vault's dependencies
// import ("ambiguous import"). Nothing this plugin builds imports moby/moby itself.
module github.com/moby/moby

go 1.21
