//go:build !unix

package kubetest

import "errors"

func lockFile(string) (func(), error) {
	return nil, errors.New("kube-apiserver integration tests run on Linux and other Unix systems only")
}
