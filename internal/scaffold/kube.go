package scaffold

import (
	"encoding/json"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

// Labels and annotations of generated objects. The Kubernetes collector maps a workload to its service by the
// annotation first, then the name label (docs/kubernetes.md); both are set.
const (
	LabelName         = "app.kubernetes.io/name"
	LabelManagedBy    = "app.kubernetes.io/managed-by"
	LabelTeam         = "atrium.sphera.io/team"
	AnnotationService = "atrium.sphera.io/service"
	// AnnotationTemplate records the template and version an object was generated from.
	AnnotationTemplate = "atrium.sphera.io/template"
)

// nonRootUID runs the containers; hello-world images and the built-in templates' images run as any user.
const nonRootUID = 65532

func parseQuantity(s string) (resource.Quantity, error) { return resource.ParseQuantity(s) }

// workload is what the manifests of one service in one environment and region are made of.
type workload struct {
	name, team, namespace, environment string
	template                           string // name@version
	image                              string
	args                               []string
	port                               int32
	healthPath                         string
	compute                            Compute
	replicas                           int32
	autoscaling                        *Autoscaling
}

func (w workload) labels() map[string]string {
	return map[string]string{LabelName: w.name, LabelManagedBy: "atrium", LabelTeam: w.team}
}

func (w workload) meta(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: w.namespace, Labels: w.labels(),
		Annotations: map[string]string{AnnotationService: w.name, AnnotationTemplate: w.template}}
}

func (w workload) namespaceObject() *corev1.Namespace {
	return &corev1.Namespace{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{Name: w.namespace, Labels: map[string]string{LabelTeam: w.team}}}
}

func (w workload) serviceAccount() *corev1.ServiceAccount {
	return &corev1.ServiceAccount{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
		ObjectMeta: w.meta(w.name)}
}

func (w workload) deployment() *appsv1.Deployment {
	q := func(s string) resource.Quantity { v, _ := parseQuantity(s); return v } // checked when the template loaded
	probe := func(period, failures int32) *corev1.Probe {
		return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: w.healthPath,
			Port: intstr.FromString("http")}}, PeriodSeconds: period, FailureThreshold: failures}
	}
	replicas, history := w.replicas, int32(5)
	no, yes := false, true
	uid := int64(nonRootUID)
	pod := corev1.PodSpec{
		ServiceAccountName: w.name,
		SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: &yes, RunAsUser: &uid,
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
		Containers: []corev1.Container{{
			Name:  w.name,
			Image: w.image,
			Args:  w.args,
			Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: w.port, Protocol: corev1.ProtocolTCP}},
			Env: []corev1.EnvVar{{Name: "PORT", Value: fmt.Sprint(w.port)},
				{Name: "ATRIUM_ENVIRONMENT", Value: w.environment}},
			Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: q(w.compute.CPURequest), corev1.ResourceMemory: q(w.compute.MemoryRequest)},
				Limits:   corev1.ResourceList{corev1.ResourceCPU: q(w.compute.CPULimit), corev1.ResourceMemory: q(w.compute.MemoryLimit)},
			},
			ReadinessProbe: probe(5, 3),
			LivenessProbe:  probe(10, 6),
			SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: &no, ReadOnlyRootFilesystem: &yes,
				Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}},
		}},
	}
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: w.meta(w.name),
		Spec: appsv1.DeploymentSpec{
			Replicas:             &replicas,
			RevisionHistoryLimit: &history,
			Selector:             &metav1.LabelSelector{MatchLabels: map[string]string{LabelName: w.name}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: w.labels(), Annotations: map[string]string{AnnotationService: w.name}},
				Spec:       pod,
			},
		},
	}
}

func (w workload) service() *corev1.Service {
	return &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: w.meta(w.name),
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeClusterIP,
			Selector: map[string]string{LabelName: w.name},
			Ports: []corev1.ServicePort{{Name: "http", Port: w.port, TargetPort: intstr.FromString("http"),
				Protocol: corev1.ProtocolTCP}},
		},
	}
}

func (w workload) autoscaler() *autoscalingv2.HorizontalPodAutoscaler {
	a := w.autoscaling
	lo, pct := int32(a.Min), int32(a.CPUPercent)
	return &autoscalingv2.HorizontalPodAutoscaler{
		TypeMeta:   metav1.TypeMeta{APIVersion: "autoscaling/v2", Kind: "HorizontalPodAutoscaler"},
		ObjectMeta: w.meta(w.name),
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: w.name},
			MinReplicas:    &lo,
			MaxReplicas:    int32(a.Max),
			Metrics: []autoscalingv2.MetricSpec{{Type: autoscalingv2.ResourceMetricSourceType,
				Resource: &autoscalingv2.ResourceMetricSource{Name: corev1.ResourceCPU,
					Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: &pct}}}},
		},
	}
}

func (w workload) url() string {
	return fmt.Sprintf("http://%s.%s.svc.cluster.local:%d", w.name, w.namespace, w.port)
}

// manifestYAML renders a typed object as YAML under a header comment, without the fields a client never sets
// (creationTimestamp, status), so the file reads as written by hand and applies as is.
func manifestYAML(header string, obj any) (string, error) {
	b, err := json.Marshal(obj)
	if err != nil {
		return "", err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return "", err
	}
	delete(m, "status")
	if md, ok := m["metadata"].(map[string]any); ok {
		delete(md, "creationTimestamp")
	}
	if spec, ok := m["spec"].(map[string]any); ok {
		if tmpl, ok := spec["template"].(map[string]any); ok {
			if md, ok := tmpl["metadata"].(map[string]any); ok {
				delete(md, "creationTimestamp")
			}
		}
		if st, ok := spec["strategy"].(map[string]any); ok && len(st) == 0 {
			delete(spec, "strategy")
		}
		if len(spec) == 0 {
			delete(m, "spec")
		}
	}
	y, err := yaml.Marshal(m)
	if err != nil {
		return "", err
	}
	return "# " + oneLine(header) + "\n" + string(y), nil
}
