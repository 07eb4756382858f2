// Golden-path fixtures as the portal answers them (GET /api/v1/templates and a dry run of go-http-service for
// orders of payments, taken from local mode), for unit and component tests.
import type { ActionStep, Plan, TemplateSummary } from '../api/client';

export const GO_TEMPLATE: TemplateSummary = {
  "name": "go-http-service",
  "title": "Go HTTP service",
  "description": "A Go HTTP service on the standard library (JSON hello-world, health endpoint, graceful shutdown) with a multi-stage Dockerfile, a CI workflow that tests, builds and pushes its image, CODEOWNERS and a catalog descriptor.",
  "language": "Go",
  "tags": [
    "go",
    "http",
    "golden-path"
  ],
  "owner": "platform",
  "source": "builtin",
  "source_version": "",
  "path": "go-http-service",
  "version": "v1",
  "format": "atrium",
  "parameters": {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "additionalProperties": false,
    "description": "A Go HTTP service on the standard library (JSON hello-world, health endpoint, graceful shutdown) with a multi-stage Dockerfile, a CI workflow that tests, builds and pushes its image, CODEOWNERS and a catalog descriptor.",
    "properties": {
      "description": {
        "default": "",
        "description": "One sentence: what the service does.",
        "maxLength": 300,
        "title": "Description",
        "type": "string"
      },
      "environments": {
        "default": [
          "dev",
          "staging"
        ],
        "description": "Where the infrastructure pull request sets the service up. Hello-world runs in dev first.",
        "items": {
          "enum": [
            "dev",
            "staging",
            "production"
          ],
          "type": "string"
        },
        "minItems": 1,
        "title": "Environments",
        "type": "array",
        "uniqueItems": true,
        "x-atrium-field": "environments"
      },
      "go_version": {
        "default": "1.25",
        "description": "The go directive of go.mod, and the Go image the Dockerfile builds with.",
        "enum": [
          "1.24",
          "1.25",
          "1.26"
        ],
        "title": "Go version",
        "type": "string"
      },
      "name": {
        "description": "Lowercase letters, digits and single dashes, 3 to 40 characters, starting with a letter. It names the repository, the image and the Kubernetes objects.",
        "maxLength": 40,
        "minLength": 3,
        "pattern": "^[a-z][a-z0-9]*(-[a-z0-9]+)*$",
        "title": "Service name",
        "type": "string",
        "x-atrium-field": "service-name"
      },
      "regions": {
        "default": [
          "eu-west-1"
        ],
        "description": "The regions of those environments the service runs in.",
        "items": {
          "enum": [
            "eu-west-1",
            "us-east-1"
          ],
          "type": "string"
        },
        "minItems": 1,
        "title": "Regions",
        "type": "array",
        "uniqueItems": true,
        "x-atrium-field": "regions"
      },
      "secret_names": {
        "default": [],
        "description": "Names of the secrets the service reads (a placeholder each, in Secrets Manager; values are set there, never in a repository).",
        "items": {
          "maxLength": 63,
          "pattern": "^[a-z][a-z0-9]*(-[a-z0-9]+)*$",
          "type": "string",
          "x-atrium-pattern-message": "use lowercase letters, digits and single dashes, starting with a letter"
        },
        "maxItems": 20,
        "title": "Secrets",
        "type": "array",
        "uniqueItems": true
      },
      "sqs_queue": {
        "default": false,
        "description": "An SQS queue of the service's own in each environment and region, which only it may use.",
        "title": "SQS queue",
        "type": "boolean"
      },
      "team": {
        "description": "The team that runs the service: it owns the repository (CODEOWNERS) and the catalog entry.",
        "maxLength": 63,
        "minLength": 1,
        "pattern": "^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$",
        "title": "Owner team",
        "type": "string",
        "x-atrium-field": "team",
        "x-atrium-pattern-message": "a team's name is lowercase letters, digits, dots, dashes and underscores"
      }
    },
    "required": [
      "name",
      "team"
    ],
    "title": "Go HTTP service",
    "type": "object",
    "ui:order": [
      "name",
      "team",
      "description",
      "environments",
      "regions",
      "sqs_queue",
      "secret_names",
      "go_version"
    ]
  },
  "broken": false,
  "problems": []
};

export const NODE_TEMPLATE: TemplateSummary = {
  "name": "node-service",
  "title": "TypeScript (Node.js) HTTP service",
  "description": "A TypeScript HTTP service on Node.js's own http module (JSON hello-world, health endpoint, graceful shutdown) with strict TypeScript, node:test tests, a multi-stage Dockerfile, a CI workflow that tests, builds and pushes its image, CODEOWNERS and a catalog descriptor.",
  "language": "TypeScript",
  "tags": [
    "typescript",
    "nodejs",
    "http",
    "golden-path"
  ],
  "owner": "platform",
  "source": "builtin",
  "source_version": "",
  "path": "node-service",
  "version": "v1",
  "format": "atrium",
  "parameters": {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "additionalProperties": false,
    "description": "A TypeScript HTTP service on Node.js's own http module (JSON hello-world, health endpoint, graceful shutdown) with strict TypeScript, node:test tests, a multi-stage Dockerfile, a CI workflow that tests, builds and pushes its image, CODEOWNERS and a catalog descriptor.",
    "properties": {
      "description": {
        "default": "",
        "description": "One sentence: what the service does.",
        "maxLength": 300,
        "title": "Description",
        "type": "string"
      },
      "environments": {
        "default": [
          "dev",
          "staging"
        ],
        "description": "Where the infrastructure pull request sets the service up. Hello-world runs in dev first.",
        "items": {
          "enum": [
            "dev",
            "staging",
            "production"
          ],
          "type": "string"
        },
        "minItems": 1,
        "title": "Environments",
        "type": "array",
        "uniqueItems": true,
        "x-atrium-field": "environments"
      },
      "name": {
        "description": "Lowercase letters, digits and single dashes, 3 to 40 characters, starting with a letter. It names the repository, the image and the Kubernetes objects.",
        "maxLength": 40,
        "minLength": 3,
        "pattern": "^[a-z][a-z0-9]*(-[a-z0-9]+)*$",
        "title": "Service name",
        "type": "string",
        "x-atrium-field": "service-name"
      },
      "node_version": {
        "default": "22",
        "description": "The Node.js major version of CI and the Dockerfile.",
        "enum": [
          "22",
          "24"
        ],
        "title": "Node.js version",
        "type": "string"
      },
      "regions": {
        "default": [
          "eu-west-1"
        ],
        "description": "The regions of those environments the service runs in.",
        "items": {
          "enum": [
            "eu-west-1",
            "us-east-1"
          ],
          "type": "string"
        },
        "minItems": 1,
        "title": "Regions",
        "type": "array",
        "uniqueItems": true,
        "x-atrium-field": "regions"
      },
      "secret_names": {
        "default": [],
        "description": "Names of the secrets the service reads (a placeholder each, in Secrets Manager; values are set there, never in a repository).",
        "items": {
          "maxLength": 63,
          "pattern": "^[a-z][a-z0-9]*(-[a-z0-9]+)*$",
          "type": "string",
          "x-atrium-pattern-message": "use lowercase letters, digits and single dashes, starting with a letter"
        },
        "maxItems": 20,
        "title": "Secrets",
        "type": "array",
        "uniqueItems": true
      },
      "sqs_queue": {
        "default": false,
        "description": "An SQS queue of the service's own in each environment and region, which only it may use.",
        "title": "SQS queue",
        "type": "boolean"
      },
      "team": {
        "description": "The team that runs the service: it owns the repository (CODEOWNERS) and the catalog entry.",
        "maxLength": 63,
        "minLength": 1,
        "pattern": "^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$",
        "title": "Owner team",
        "type": "string",
        "x-atrium-field": "team",
        "x-atrium-pattern-message": "a team's name is lowercase letters, digits, dots, dashes and underscores"
      }
    },
    "required": [
      "name",
      "team"
    ],
    "title": "TypeScript (Node.js) HTTP service",
    "type": "object",
    "ui:order": [
      "name",
      "team",
      "description",
      "environments",
      "regions",
      "sqs_queue",
      "secret_names",
      "node_version"
    ]
  },
  "broken": false,
  "problems": []
};

/** A template that did not load: listed with its problems, not usable. */
export const BROKEN_TEMPLATE: TemplateSummary = {
  "name": "java-service",
  "title": "Java service",
  "description": "A Spring Boot service.",
  "language": "Java",
  "tags": [
    "java"
  ],
  "owner": "platform",
  "source": "github:sphera/templates",
  "source_version": "3f9c2e1a7b04d5e6f708192a3b4c5d6e7f809112",
  "path": "templates/java-service",
  "version": "3f9c2e1a7b04d5e6f708192a3b4c5d6e7f809112",
  "format": "backstage",
  "parameters": null,
  "broken": true,
  "problems": [
    {
      "severity": "error",
      "summary": "template: skeleton/pom.xml.njk:12: filter \"shout\" is not supported",
      "source": "template"
    }
  ]
};

export const TEMPLATES: TemplateSummary[] = [GO_TEMPLATE, BROKEN_TEMPLATE, NODE_TEMPLATE];

/** The dry run of go-http-service with {name: "orders", team: "payments", description: "Takes orders."}. */
export const ORDERS_PLAN: Plan = {
  "template": {
    "name": "go-http-service",
    "version": "v1",
    "source": "builtin",
    "source_version": "",
    "path": "go-http-service",
    "format": "atrium"
  },
  "service": "orders",
  "parameters": {
    "description": "Takes orders.",
    "environments": [
      "dev",
      "staging"
    ],
    "go_version": "1.25",
    "name": "orders",
    "regions": [
      "eu-west-1"
    ],
    "secret_names": [],
    "sqs_queue": false,
    "team": "payments"
  },
  "files": [
    {
      "path": ".dockerignore",
      "content": ".git\n.github\n*.md\n/orders\n"
    },
    {
      "path": ".github/CODEOWNERS",
      "content": "# Every change needs a review from the team that runs orders.\n* @sphera/payments\n"
    },
    {
      "path": ".github/workflows/ci.yml",
      "content": "# Tests every push and pull request; builds the image on both and pushes it from main.\n# The registry credentials are the repository secrets REGISTRY_USERNAME and REGISTRY_PASSWORD.\nname: ci\non:\n  push:\n    branches: [main]\n  pull_request:\npermissions:\n  contents: read\nenv:\n  IMAGE: registry.sphera.example/sphera/orders\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - uses: actions/setup-go@v5\n        with:\n          go-version-file: go.mod\n      - name: gofmt\n        run: test -z \"$(gofmt -l .)\" || { gofmt -l .; exit 1; }\n      - run: go vet ./...\n      - run: go test -race ./...\n  image:\n    needs: test\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - uses: docker/setup-buildx-action@v3\n      - uses: docker/login-action@v3\n        if: github.event_name == 'push'\n        with:\n          registry: registry.sphera.example\n          username: ${{ secrets.REGISTRY_USERNAME }}\n          password: ${{ secrets.REGISTRY_PASSWORD }}\n      - uses: docker/build-push-action@v6\n        with:\n          context: .\n          push: ${{ github.event_name == 'push' }}\n          tags: |\n            ${{ env.IMAGE }}:${{ github.sha }}\n            ${{ env.IMAGE }}:latest\n"
    },
    {
      "path": ".gitignore",
      "content": "/orders\n/dist/\n*.test\n*.out\n"
    },
    {
      "path": "Dockerfile",
      "content": "# Build a static binary, then ship it alone: no shell, no package manager, nothing to patch but the service.\nFROM golang:1.25-alpine AS build\nWORKDIR /src\nCOPY go.* ./\nRUN go mod download\nCOPY . .\nRUN CGO_ENABLED=0 go build -trimpath -ldflags=\"-s -w\" -o /out/orders .\n\nFROM scratch\nCOPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/\nCOPY --from=build /out/orders /orders\nUSER 65532:65532\nEXPOSE 8080\nENTRYPOINT [\"/orders\"]\n"
    },
    {
      "path": "README.md",
      "content": "# orders\n\nTakes orders.\n\nOwned by **payments** (@sphera/payments). Created by Atrium from the template `go-http-service@v1`.\n\n## Run it\n\n```sh\ngo run .                       # listens on :8080 (PORT overrides)\ncurl localhost:8080/healthz\ngo test ./...\n```\n\n## Endpoints\n\n| path | |\n| --- | --- |\n| `GET /` | hello, as JSON |\n| `GET /healthz` | health: the readiness and liveness probes ask it |\n\n## Delivery\n\nEvery push to `main` tests the code and pushes the image `registry.sphera.example/sphera/orders` (`.github/workflows/ci.yml`).\nThe service runs in dev, staging (eu-west-1); its Kubernetes manifests and\ninfrastructure live in the infrastructure repository, in the pull request Atrium opened for it.\n"
    },
    {
      "path": "atrium.yaml",
      "content": "# This service's entry in Atrium's catalog: owner, lifecycle, the template it was created from, links.\nname: orders\ndescription: \"Takes orders.\"\nowner: \"payments\"\nlifecycle: experimental\ntype: service\nlanguage: Go\ntemplate: go-http-service@v1\ntags: [go, http]\nlinks:\n  - title: Repository\n    url: https://github.com/sphera/orders\n"
    },
    {
      "path": "go.mod",
      "content": "module github.com/sphera/orders\n\ngo 1.25\n"
    },
    {
      "path": "main.go",
      "content": "// Command orders serves the orders HTTP API.\npackage main\n\nimport (\n\t\"context\"\n\t\"errors\"\n\t\"log/slog\"\n\t\"net/http\"\n\t\"os\"\n\t\"os/signal\"\n\t\"syscall\"\n\t\"time\"\n)\n\nfunc main() {\n\tlog := slog.New(slog.NewJSONHandler(os.Stdout, nil))\n\taddr := \":\" + envOr(\"PORT\", \"8080\")\n\tsrv := &http.Server{Addr: addr, Handler: newServer(log), ReadHeaderTimeout: 5 * time.Second}\n\n\tctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)\n\tdefer stop()\n\terrc := make(chan error, 1)\n\tgo func() { errc <- srv.ListenAndServe() }()\n\tlog.Info(\"listening\", \"addr\", addr)\n\n\tselect {\n\tcase err := <-errc:\n\t\tlog.Error(\"serve\", \"err\", err)\n\t\tos.Exit(1)\n\tcase <-ctx.Done():\n\t}\n\t// Kubernetes sends SIGTERM, then waits terminationGracePeriodSeconds (30 s): finish what is in flight.\n\tshutdown, cancel := context.WithTimeout(context.Background(), 20*time.Second)\n\tdefer cancel()\n\tif err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {\n\t\tlog.Error(\"shutdown\", \"err\", err)\n\t\tos.Exit(1)\n\t}\n\tlog.Info(\"stopped\")\n}\n\nfunc envOr(key, def string) string {\n\tif v := os.Getenv(key); v != \"\" {\n\t\treturn v\n\t}\n\treturn def\n}\n"
    },
    {
      "path": "server.go",
      "content": "package main\n\nimport (\n\t\"encoding/json\"\n\t\"io\"\n\t\"log/slog\"\n\t\"net/http\"\n)\n\n// serviceName is the name the catalog knows this service by.\nconst serviceName = \"orders\"\n\n// newServer routes the service's endpoints.\nfunc newServer(log *slog.Logger) http.Handler {\n\tmux := http.NewServeMux()\n\t// Readiness and liveness probes ask this path; keep it cheap and free of dependencies.\n\tmux.HandleFunc(\"GET /healthz\", func(w http.ResponseWriter, r *http.Request) {\n\t\tw.Header().Set(\"Content-Type\", \"text/plain; charset=utf-8\")\n\t\t_, _ = io.WriteString(w, \"ok\\n\")\n\t})\n\tmux.HandleFunc(\"GET /{$}\", func(w http.ResponseWriter, r *http.Request) {\n\t\twriteJSON(w, log, http.StatusOK, map[string]string{\"service\": serviceName, \"message\": \"hello from \" + serviceName})\n\t})\n\treturn mux\n}\n\nfunc writeJSON(w http.ResponseWriter, log *slog.Logger, status int, v any) {\n\tw.Header().Set(\"Content-Type\", \"application/json\")\n\tw.WriteHeader(status)\n\tif err := json.NewEncoder(w).Encode(v); err != nil {\n\t\tlog.Warn(\"write response\", \"err\", err)\n\t}\n}\n"
    },
    {
      "path": "server_test.go",
      "content": "package main\n\nimport (\n\t\"encoding/json\"\n\t\"io\"\n\t\"log/slog\"\n\t\"net/http\"\n\t\"net/http/httptest\"\n\t\"testing\"\n)\n\nfunc TestEndpoints(t *testing.T) {\n\tsrv := httptest.NewServer(newServer(slog.New(slog.NewTextHandler(io.Discard, nil))))\n\tdefer srv.Close()\n\n\ttests := []struct {\n\t\tpath   string\n\t\tstatus int\n\t}{\n\t\t{\"/healthz\", http.StatusOK},\n\t\t{\"/\", http.StatusOK},\n\t\t{\"/no-such-path\", http.StatusNotFound},\n\t}\n\tfor _, tc := range tests {\n\t\tt.Run(tc.path, func(t *testing.T) {\n\t\t\tresp, err := http.Get(srv.URL + tc.path)\n\t\t\tif err != nil {\n\t\t\t\tt.Fatal(err)\n\t\t\t}\n\t\t\tdefer resp.Body.Close()\n\t\t\tif resp.StatusCode != tc.status {\n\t\t\t\tt.Errorf(\"GET %s: status %d, want %d\", tc.path, resp.StatusCode, tc.status)\n\t\t\t}\n\t\t})\n\t}\n\n\tresp, err := http.Get(srv.URL + \"/\")\n\tif err != nil {\n\t\tt.Fatal(err)\n\t}\n\tdefer resp.Body.Close()\n\tvar body map[string]string\n\tif err := json.NewDecoder(resp.Body).Decode(&body); err != nil {\n\t\tt.Fatal(err)\n\t}\n\tif body[\"service\"] != serviceName {\n\t\tt.Errorf(\"service = %q, want %q\", body[\"service\"], serviceName)\n\t}\n}\n"
    }
  ],
  "repository": {
    "owner": "sphera",
    "name": "orders",
    "url": "https://github.com/sphera/orders",
    "description": "Takes orders.",
    "default_branch": "main",
    "visibility": "private",
    "topics": [],
    "protection": {
      "branch": "main",
      "required_reviews": 1,
      "require_code_owner_reviews": true,
      "dismiss_stale_reviews": true,
      "required_checks": [
        "image",
        "test"
      ],
      "strict": true
    }
  },
  "infra_pull_request": {
    "repository": "sphera/infra",
    "base": "main",
    "branch": "atrium/new-service-orders",
    "title": "New service orders (team payments): infrastructure for dev, staging",
    "body": "Atrium's golden path is creating the service **orders** of team **payments** from template `go-http-service@v1`; its repository is [sphera/orders](https://github.com/sphera/orders).\n\nThis pull request adds what the service needs to run in dev, staging:\n\n| environment | region | Terraform | Kubernetes |\n| --- | --- | --- | --- |\n| dev | eu-west-1 | IAM role (EKS Pod Identity in dev-eu-west-1) | ServiceAccount, Deployment, Service |\n| staging | eu-west-1 | IAM role (EKS Pod Identity in staging-eu-west-1) | ServiceAccount, Deployment, Service, HorizontalPodAutoscaler |\n\n**Why.** A new service gets the same infrastructure as every other on the golden path, reviewed here by the people who own this repository rather than requested piece by piece. Its pods run as the service account `orders` in namespace `payments`, which assumes its own IAM role and nothing else.\n\n**Image.** Until the repository's CI has pushed its first image to `registry.sphera.example/sphera/orders`, the Deployments run the prebuilt hello-world `hashicorp/http-echo:1.0.0`, which answers `/healthz` on port 8080; the CI's image replaces it.\n",
    "files": [
      {
        "path": "envs/dev/eu-west-1/orders/iam.tf",
        "content": "# Managed by Atrium (template go-http-service@v1): IAM role of service orders, team payments, in dev/eu-west-1.\ndata \"aws_iam_policy_document\" \"orders_assume\" {\n  statement {\n    actions = [\"sts:AssumeRole\", \"sts:TagSession\"]\n    principals {\n      type        = \"Service\"\n      identifiers = [\"pods.eks.amazonaws.com\"]\n    }\n  }\n}\n\nresource \"aws_iam_role\" \"orders\" {\n  name               = \"orders-dev-eu-west-1\"\n  assume_role_policy = data.aws_iam_policy_document.orders_assume.json\n  tags = {\n    \"atrium:environment\" = \"dev\"\n    \"atrium:origin\"      = \"template go-http-service@v1\"\n    \"atrium:service\"     = \"orders\"\n    \"atrium:team\"        = \"payments\"\n  }\n}\n\nresource \"aws_eks_pod_identity_association\" \"orders_dev-eu-west-1\" {\n  cluster_name    = \"dev-eu-west-1\"\n  namespace       = \"payments\"\n  service_account = \"orders\"\n  role_arn        = aws_iam_role.orders.arn\n}\n"
      },
      {
        "path": "envs/dev/eu-west-1/orders/kubernetes/deployment.yaml",
        "content": "# Managed by Atrium (template go-http-service@v1): service orders, team payments, in dev/eu-west-1.\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  annotations:\n    atrium.sphera.io/service: orders\n    atrium.sphera.io/template: go-http-service@v1\n  labels:\n    app.kubernetes.io/managed-by: atrium\n    app.kubernetes.io/name: orders\n    atrium.sphera.io/team: payments\n  name: orders\n  namespace: payments\nspec:\n  replicas: 1\n  revisionHistoryLimit: 5\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: orders\n  template:\n    metadata:\n      annotations:\n        atrium.sphera.io/service: orders\n      labels:\n        app.kubernetes.io/managed-by: atrium\n        app.kubernetes.io/name: orders\n        atrium.sphera.io/team: payments\n    spec:\n      containers:\n      - args:\n        - -listen=:8080\n        - -text=hello from orders\n        env:\n        - name: PORT\n          value: \"8080\"\n        - name: ATRIUM_ENVIRONMENT\n          value: dev\n        image: hashicorp/http-echo:1.0.0\n        livenessProbe:\n          failureThreshold: 6\n          httpGet:\n            path: /healthz\n            port: http\n          periodSeconds: 10\n        name: orders\n        ports:\n        - containerPort: 8080\n          name: http\n          protocol: TCP\n        readinessProbe:\n          failureThreshold: 3\n          httpGet:\n            path: /healthz\n            port: http\n          periodSeconds: 5\n        resources:\n          limits:\n            cpu: 500m\n            memory: 128Mi\n          requests:\n            cpu: 50m\n            memory: 64Mi\n        securityContext:\n          allowPrivilegeEscalation: false\n          capabilities:\n            drop:\n            - ALL\n          readOnlyRootFilesystem: true\n      securityContext:\n        runAsNonRoot: true\n        runAsUser: 65532\n        seccompProfile:\n          type: RuntimeDefault\n      serviceAccountName: orders\n"
      },
      {
        "path": "envs/dev/eu-west-1/orders/kubernetes/service.yaml",
        "content": "# Managed by Atrium (template go-http-service@v1): service orders, team payments, in dev/eu-west-1.\napiVersion: v1\nkind: Service\nmetadata:\n  annotations:\n    atrium.sphera.io/service: orders\n    atrium.sphera.io/template: go-http-service@v1\n  labels:\n    app.kubernetes.io/managed-by: atrium\n    app.kubernetes.io/name: orders\n    atrium.sphera.io/team: payments\n  name: orders\n  namespace: payments\nspec:\n  ports:\n  - name: http\n    port: 8080\n    protocol: TCP\n    targetPort: http\n  selector:\n    app.kubernetes.io/name: orders\n  type: ClusterIP\n"
      },
      {
        "path": "envs/dev/eu-west-1/orders/kubernetes/serviceaccount.yaml",
        "content": "# Managed by Atrium (template go-http-service@v1): service orders, team payments, in dev/eu-west-1.\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  annotations:\n    atrium.sphera.io/service: orders\n    atrium.sphera.io/template: go-http-service@v1\n  labels:\n    app.kubernetes.io/managed-by: atrium\n    app.kubernetes.io/name: orders\n    atrium.sphera.io/team: payments\n  name: orders\n  namespace: payments\n"
      },
      {
        "path": "envs/staging/eu-west-1/orders/iam.tf",
        "content": "# Managed by Atrium (template go-http-service@v1): IAM role of service orders, team payments, in staging/eu-west-1.\ndata \"aws_iam_policy_document\" \"orders_assume\" {\n  statement {\n    actions = [\"sts:AssumeRole\", \"sts:TagSession\"]\n    principals {\n      type        = \"Service\"\n      identifiers = [\"pods.eks.amazonaws.com\"]\n    }\n  }\n}\n\nresource \"aws_iam_role\" \"orders\" {\n  name               = \"orders-staging-eu-west-1\"\n  assume_role_policy = data.aws_iam_policy_document.orders_assume.json\n  tags = {\n    \"atrium:environment\" = \"staging\"\n    \"atrium:origin\"      = \"template go-http-service@v1\"\n    \"atrium:service\"     = \"orders\"\n    \"atrium:team\"        = \"payments\"\n  }\n}\n\nresource \"aws_eks_pod_identity_association\" \"orders_staging-eu-west-1\" {\n  cluster_name    = \"staging-eu-west-1\"\n  namespace       = \"payments\"\n  service_account = \"orders\"\n  role_arn        = aws_iam_role.orders.arn\n}\n"
      },
      {
        "path": "envs/staging/eu-west-1/orders/kubernetes/deployment.yaml",
        "content": "# Managed by Atrium (template go-http-service@v1): service orders, team payments, in staging/eu-west-1.\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  annotations:\n    atrium.sphera.io/service: orders\n    atrium.sphera.io/template: go-http-service@v1\n  labels:\n    app.kubernetes.io/managed-by: atrium\n    app.kubernetes.io/name: orders\n    atrium.sphera.io/team: payments\n  name: orders\n  namespace: payments\nspec:\n  replicas: 2\n  revisionHistoryLimit: 5\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: orders\n  template:\n    metadata:\n      annotations:\n        atrium.sphera.io/service: orders\n      labels:\n        app.kubernetes.io/managed-by: atrium\n        app.kubernetes.io/name: orders\n        atrium.sphera.io/team: payments\n    spec:\n      containers:\n      - args:\n        - -listen=:8080\n        - -text=hello from orders\n        env:\n        - name: PORT\n          value: \"8080\"\n        - name: ATRIUM_ENVIRONMENT\n          value: staging\n        image: hashicorp/http-echo:1.0.0\n        livenessProbe:\n          failureThreshold: 6\n          httpGet:\n            path: /healthz\n            port: http\n          periodSeconds: 10\n        name: orders\n        ports:\n        - containerPort: 8080\n          name: http\n          protocol: TCP\n        readinessProbe:\n          failureThreshold: 3\n          httpGet:\n            path: /healthz\n            port: http\n          periodSeconds: 5\n        resources:\n          limits:\n            cpu: 500m\n            memory: 128Mi\n          requests:\n            cpu: 50m\n            memory: 64Mi\n        securityContext:\n          allowPrivilegeEscalation: false\n          capabilities:\n            drop:\n            - ALL\n          readOnlyRootFilesystem: true\n      securityContext:\n        runAsNonRoot: true\n        runAsUser: 65532\n        seccompProfile:\n          type: RuntimeDefault\n      serviceAccountName: orders\n"
      },
      {
        "path": "envs/staging/eu-west-1/orders/kubernetes/hpa.yaml",
        "content": "# Managed by Atrium (template go-http-service@v1): service orders, team payments, in staging/eu-west-1.\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  annotations:\n    atrium.sphera.io/service: orders\n    atrium.sphera.io/template: go-http-service@v1\n  labels:\n    app.kubernetes.io/managed-by: atrium\n    app.kubernetes.io/name: orders\n    atrium.sphera.io/team: payments\n  name: orders\n  namespace: payments\nspec:\n  maxReplicas: 6\n  metrics:\n  - resource:\n      name: cpu\n      target:\n        averageUtilization: 70\n        type: Utilization\n    type: Resource\n  minReplicas: 2\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: orders\n"
      },
      {
        "path": "envs/staging/eu-west-1/orders/kubernetes/service.yaml",
        "content": "# Managed by Atrium (template go-http-service@v1): service orders, team payments, in staging/eu-west-1.\napiVersion: v1\nkind: Service\nmetadata:\n  annotations:\n    atrium.sphera.io/service: orders\n    atrium.sphera.io/template: go-http-service@v1\n  labels:\n    app.kubernetes.io/managed-by: atrium\n    app.kubernetes.io/name: orders\n    atrium.sphera.io/team: payments\n  name: orders\n  namespace: payments\nspec:\n  ports:\n  - name: http\n    port: 8080\n    protocol: TCP\n    targetPort: http\n  selector:\n    app.kubernetes.io/name: orders\n  type: ClusterIP\n"
      },
      {
        "path": "envs/staging/eu-west-1/orders/kubernetes/serviceaccount.yaml",
        "content": "# Managed by Atrium (template go-http-service@v1): service orders, team payments, in staging/eu-west-1.\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  annotations:\n    atrium.sphera.io/service: orders\n    atrium.sphera.io/template: go-http-service@v1\n  labels:\n    app.kubernetes.io/managed-by: atrium\n    app.kubernetes.io/name: orders\n    atrium.sphera.io/team: payments\n  name: orders\n  namespace: payments\n"
      }
    ]
  },
  "deploy": [
    {
      "cluster": "dev-eu-west-1",
      "environment": "dev",
      "region": "eu-west-1",
      "namespace": "payments",
      "deployment": "orders",
      "url": "http://orders.payments.svc.cluster.local:8080",
      "files": [
        {
          "path": "namespace.yaml",
          "content": "# Hello-world of orders (template go-http-service@v1), applied by the cluster agent.\napiVersion: v1\nkind: Namespace\nmetadata:\n  labels:\n    atrium.sphera.io/team: payments\n  name: payments\n"
        },
        {
          "path": "serviceaccount.yaml",
          "content": "# Hello-world of orders (template go-http-service@v1), applied by the cluster agent.\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  annotations:\n    atrium.sphera.io/service: orders\n    atrium.sphera.io/template: go-http-service@v1\n  labels:\n    app.kubernetes.io/managed-by: atrium\n    app.kubernetes.io/name: orders\n    atrium.sphera.io/team: payments\n  name: orders\n  namespace: payments\n"
        },
        {
          "path": "deployment.yaml",
          "content": "# Hello-world of orders (template go-http-service@v1), applied by the cluster agent.\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  annotations:\n    atrium.sphera.io/service: orders\n    atrium.sphera.io/template: go-http-service@v1\n  labels:\n    app.kubernetes.io/managed-by: atrium\n    app.kubernetes.io/name: orders\n    atrium.sphera.io/team: payments\n  name: orders\n  namespace: payments\nspec:\n  replicas: 1\n  revisionHistoryLimit: 5\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: orders\n  template:\n    metadata:\n      annotations:\n        atrium.sphera.io/service: orders\n      labels:\n        app.kubernetes.io/managed-by: atrium\n        app.kubernetes.io/name: orders\n        atrium.sphera.io/team: payments\n    spec:\n      containers:\n      - args:\n        - -listen=:8080\n        - -text=hello from orders\n        env:\n        - name: PORT\n          value: \"8080\"\n        - name: ATRIUM_ENVIRONMENT\n          value: dev\n        image: hashicorp/http-echo:1.0.0\n        livenessProbe:\n          failureThreshold: 6\n          httpGet:\n            path: /healthz\n            port: http\n          periodSeconds: 10\n        name: orders\n        ports:\n        - containerPort: 8080\n          name: http\n          protocol: TCP\n        readinessProbe:\n          failureThreshold: 3\n          httpGet:\n            path: /healthz\n            port: http\n          periodSeconds: 5\n        resources:\n          limits:\n            cpu: 500m\n            memory: 128Mi\n          requests:\n            cpu: 50m\n            memory: 64Mi\n        securityContext:\n          allowPrivilegeEscalation: false\n          capabilities:\n            drop:\n            - ALL\n          readOnlyRootFilesystem: true\n      securityContext:\n        runAsNonRoot: true\n        runAsUser: 65532\n        seccompProfile:\n          type: RuntimeDefault\n      serviceAccountName: orders\n"
        },
        {
          "path": "service.yaml",
          "content": "# Hello-world of orders (template go-http-service@v1), applied by the cluster agent.\napiVersion: v1\nkind: Service\nmetadata:\n  annotations:\n    atrium.sphera.io/service: orders\n    atrium.sphera.io/template: go-http-service@v1\n  labels:\n    app.kubernetes.io/managed-by: atrium\n    app.kubernetes.io/name: orders\n    atrium.sphera.io/team: payments\n  name: orders\n  namespace: payments\nspec:\n  ports:\n  - name: http\n    port: 8080\n    protocol: TCP\n    targetPort: http\n  selector:\n    app.kubernetes.io/name: orders\n  type: ClusterIP\n"
        }
      ]
    }
  ],
  "catalog_entry": {
    "name": "orders",
    "description": "Takes orders.",
    "owner": "payments",
    "lifecycle": "experimental",
    "type": "service",
    "language": "Go",
    "tags": [
      "go",
      "golden-path",
      "http"
    ],
    "links": [],
    "repository": {
      "url": "https://github.com/sphera/orders",
      "provider": "github",
      "default_branch": "main"
    },
    "template": "go-http-service@v1",
    "source": "github:sphera",
    "dependencies": [],
    "deployments": [],
    "findings": [],
    "synced_at": "0001-01-01T00:00:00Z"
  },
  "steps": [
    {
      "id": "create_repository",
      "title": "Create the repository sphera/orders",
      "description": "Creates the private repository sphera/orders with its description, without any file. A repository of that name that this run created (empty, or holding this plan's initial commit) is reused; any other stops the run.",
      "creates": [
        "GitHub repository sphera/orders"
      ]
    },
    {
      "id": "push_initial_commit",
      "title": "Push the initial commit (11 files)",
      "description": "Writes the 11 files through the git data API (blobs, one tree, one commit) and points main at the commit. A branch already at a commit with the same tree is left as it is.",
      "creates": [
        "commit on main of sphera/orders with 11 files"
      ]
    },
    {
      "id": "protect_branch",
      "title": "Protect main",
      "description": "Sets the protection of main: 1 approving review(s), code owner review, required checks image, test. Setting it again changes nothing.",
      "creates": [
        "branch protection of sphera/orders@main"
      ]
    },
    {
      "id": "register_catalog",
      "title": "Register orders in the catalog",
      "description": "Adds orders to the catalog at once (owner payments, lifecycle experimental, created from go-http-service@v1), before any collector has read the new repository. Registering again replaces the same entry.",
      "creates": [
        "catalog service orders"
      ]
    },
    {
      "id": "open_infra_pull_request",
      "title": "Open the infrastructure pull request on sphera/infra",
      "description": "Commits 9 files to the branch atrium/new-service-orders of sphera/infra and opens a pull request to main. A pull request already open from that branch is the one.",
      "creates": [
        "branch atrium/new-service-orders of sphera/infra",
        "pull request on sphera/infra"
      ]
    },
    {
      "id": "deploy_dev",
      "title": "Deploy hello-world to dev-eu-west-1",
      "description": "Queues the manifests for the agent of each cluster, which applies them with server-side apply: applying them again changes nothing.",
      "creates": [
        "Namespace, ServiceAccount, Deployment and Service orders in dev-eu-west-1"
      ]
    },
    {
      "id": "wait_dev_available",
      "title": "Wait for hello-world to be available",
      "description": "Waits for each agent's report that the Deployment is Available with every replica updated. The service is then reachable at dev-eu-west-1: http://orders.payments.svc.cluster.local:8080.",
      "creates": []
    }
  ],
  "warnings": [],
  "digest": "adb3d0ae9930eeca6d45787e29859d5039d3ac4a62b945a0f1818eda4b8d739e"
};

const STEP_TITLES: [string, string][] = [
  ['create_repository', 'Create the repository sphera/orders'],
  ['push_initial_commit', 'Push the initial commit (11 files)'],
  ['protect_branch', 'Protect main'],
  ['register_catalog', 'Register orders in the catalog'],
  ['open_infra_pull_request', 'Open the infrastructure pull request on sphera/infra'],
  ['deploy_dev', 'Deploy hello-world to dev-eu-west-1'],
  ['wait_dev_available', 'Wait for hello-world to be available'],
];

/** What each step of a team portal's run outputs when it succeeds. */
export const STEP_OUTPUTS: Record<string, Record<string, string>> = {
  create_repository: { repository: 'sphera/orders', repository_url: 'https://github.com/sphera/orders', repository_id: '7781' },
  push_initial_commit: { commit_sha: '3c1e9f0a8b7d6c5e4f3a2b1c0d9e8f7a6b5c4d3e', branch: 'main', files: '11' },
  protect_branch: { protected_branch: 'main', required_checks: 'image, test', required_reviews: '1' },
  register_catalog: { catalog_service: 'orders', catalog_source: 'template:go-http-service' },
  open_infra_pull_request: { pr_url: 'https://github.com/sphera/infra/pull/7', pr_number: '7', infra_branch: 'atrium/new-service-orders' },
  deploy_dev: { 'work_id:dev-eu-west-1': 'wrk_51d0' },
  wait_dev_available: { url: 'http://orders.payments.svc.cluster.local:8080', 'url:dev-eu-west-1': 'http://orders.payments.svc.cluster.local:8080' },
};

/** What local mode's preview says each step would have done. */
export const PREVIEW_OUTPUTS: Record<string, string> = {
  create_repository: 'a team portal would have created the private repository sphera/orders on GitHub (https://github.com/sphera/orders)',
  push_initial_commit: 'a team portal would have pushed one commit to main of sphera/orders with these 11 files: .dockerignore, Dockerfile, main.go',
  protect_branch: 'a team portal would have protected main of sphera/orders: 1 approving review(s), code owner review true, required checks image, test',
  open_infra_pull_request: 'a team portal would have opened the pull request "New service orders (team payments)" on sphera/infra',
  deploy_dev: 'a team portal\'s cluster agents would have applied these manifests to dev-eu-west-1 in namespace payments',
  wait_dev_available: 'a team portal would have waited for Deployment payments/orders in dev-eu-west-1, then reachable at http://orders.payments.svc.cluster.local:8080',
};

/**
 * The steps of a run of ORDERS_PLAN in the given states (one per step, in order; missing ones pending), started a
 * second apart from 09:00:00, finished half a second later; succeeded steps carry a team portal's outputs.
 */
export function runSteps(states: ActionStep['state'][], patch: Partial<Record<string, Partial<ActionStep>>> = {}): ActionStep[] {
  return STEP_TITLES.map(([id, title], i) => {
    const state = states[i] ?? 'pending';
    const started = state === 'pending' ? {} : { started_at: `2026-11-26T09:00:0${i}Z` };
    const finished = state === 'pending' || state === 'running' ? {} : { finished_at: `2026-11-26T09:00:0${i}.500Z` };
    const output = state === 'succeeded' ? (STEP_OUTPUTS[id] ?? {}) : {};
    return { id, title, state, attempts: state === 'pending' ? 0 : 1, output, ...started, ...finished, ...patch[id] };
  });
}
