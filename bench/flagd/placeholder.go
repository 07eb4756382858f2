// Package flagdbench compares Atrium's flag evaluator with flagd's on the same flag file. It is a separate module
// so that flagd never becomes a dependency of Atrium itself.
package flagdbench
