module github.com/gsp-project/gsp/bindings/go

go 1.21
