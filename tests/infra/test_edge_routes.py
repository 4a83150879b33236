"""What the public edge routes: only /api/... and /healthz reach the app, with the same path."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from infra.edge.api import TenantEdge
from stacks.offline.invokes import InvokeContext
from stacks.offline.plan import Plan, PlanResource
from stacks.offline.resources import resource_id
from tests.infra.conftest import Synth
from tests.infra.plans import STACKS, stack_plan
from tests.infra.test_edge import edge_args

REST_RESOURCE = "aws:apigateway/resource:Resource"
METHOD = "aws:apigateway/method:Method"
INTEGRATION = "aws:apigateway/integration:Integration"
NLB_DNS = "app-abc.elb.eu-west-1.amazonaws.com"

# App routes that must stay inside the cluster: the staff admin and the readiness probe
# (it reports database and cache state). Every other top-level app route is for tenants.
INTERNAL_APP_ROUTES = {"admin/", "readyz"}


@dataclass
class Node:
    """One API Gateway resource with its methods and their integrations, as planned."""

    resource: PlanResource
    path: str
    children: list[Node] = field(default_factory=list)
    methods: dict[str, PlanResource] = field(default_factory=dict)
    integrations: dict[str, PlanResource] = field(default_factory=dict)

    @property
    def path_part(self) -> str:
        return str(self.resource.inputs["pathPart"])


def _mock_id(resource: PlanResource, stack: str) -> str:
    """The id the offline engine gave ``resource`` (API Gateway ids are name-derived hashes)."""
    ctx = InvokeContext(stack=stack, project="hrms")
    return resource_id(resource.type, resource.name, resource.inputs, ctx)


def _owner(
    item: PlanResource, resources: list[PlanResource], id_key: str, stack: str
) -> PlanResource:
    """The one REST resource ``item`` hangs off: by dependency, cross-checked by its id input."""
    (owner,) = (r for r in resources if r.urn in item.dependencies)
    # The id input must be that resource's id, not merely depend on it.
    assert item.inputs[id_key] == _mock_id(owner, stack), (item.name, owner.name)
    return owner


def route_tree(plan: Plan) -> list[Node]:
    """The API's resource tree (children of the root), with methods and integrations attached."""
    resources = plan.by_type(REST_RESOURCE)
    nodes = {r.urn: Node(r, "") for r in resources}
    roots: list[Node] = []
    root_ids = set()
    for resource in resources:
        parents = [r for r in resources if r.urn in resource.dependencies]
        if parents:
            nodes[_owner(resource, resources, "parentId", plan.stack).urn].children.append(
                nodes[resource.urn]
            )
        else:
            roots.append(nodes[resource.urn])
            root_ids.add(resource.inputs["parentId"])
    # Every top-level resource hangs off the same root resource, which is no planned resource.
    assert len(root_ids) == 1
    assert not any(next(iter(root_ids)) == _mock_id(r, plan.stack) for r in resources)

    def set_paths(level: list[Node], prefix: str) -> None:
        for node in level:
            node.path = f"{prefix}/{node.path_part}"
            set_paths(node.children, node.path)

    set_paths(roots, "")
    for method in plan.by_type(METHOD):
        node = nodes[_owner(method, resources, "resourceId", plan.stack).urn]
        node.methods[str(method.inputs["httpMethod"])] = method
    for integration in plan.by_type(INTEGRATION):
        node = nodes[_owner(integration, resources, "resourceId", plan.stack).urn]
        node.integrations[str(integration.inputs["httpMethod"])] = integration
    return roots


def all_nodes(level: list[Node]) -> list[Node]:
    return [n for node in level for n in (node, *all_nodes(node.children))]


@dataclass(frozen=True)
class Match:
    node: Node
    method: PlanResource
    integration: PlanResource
    params: dict[str, str]


def resolve(roots: list[Node], http_method: str, path: str) -> Match | None:
    """API Gateway's resource matching: a literal child first, else a greedy ``{name+}`` child.

    None where API Gateway answers itself (403 "Missing Authentication Token" for a path or
    method with no resource/method) and the request never reaches the integration.
    """
    rest = path.lstrip("/")
    level, node, params = roots, None, {}
    while rest:
        segment, _, remainder = rest.partition("/")
        literal = next((n for n in level if n.path_part == segment), None)
        if literal is not None:
            node, level, rest = literal, literal.children, remainder
            continue
        greedy = next((n for n in level if n.path_part.endswith("+}")), None)
        if greedy is None:
            return None
        params[greedy.path_part[1:-2]] = rest
        node, rest = greedy, ""
    if node is None:
        return None  # the root: no method is defined on it
    method = node.methods.get(http_method) or node.methods.get("ANY")
    if method is None:
        return None
    return Match(node, method, node.integrations[str(method.inputs["httpMethod"])], params)


def backend_url(match: Match) -> str:
    """The URL the integration calls: ``{x}`` in its URI filled from the mapped method params."""
    uri = str(match.integration.inputs["uri"])
    declared = match.method.inputs.get("requestParameters") or {}
    for target, source in (match.integration.inputs.get("requestParameters") or {}).items():
        name = target.removeprefix("integration.request.path.")
        source_name = source.removeprefix("method.request.path.")
        assert declared.get(source) is True, f"{source} is mapped but not declared required"
        uri = uri.replace(f"{{{name}}}", match.params[source_name])
    assert "{" not in uri, f"unmapped path parameter left in {uri}"
    return uri


@pytest.fixture
def synth_routes(synth: Synth) -> list[Node]:
    return route_tree(synth(lambda: TenantEdge("hrms-test-edge", edge_args())))


def test_only_the_api_prefix_and_the_health_probe_exist(synth_routes: list[Node]) -> None:
    paths = sorted(n.path for n in all_nodes(synth_routes))
    assert paths == ["/api", "/api/{proxy+}", "/healthz"]
    greedy = [n for n in all_nodes(synth_routes) if "+" in n.path_part]
    assert [n.path for n in greedy] == ["/api/{proxy+}"]
    # /api itself holds no method: it is a prefix, not an endpoint.
    (prefix,) = (n for n in synth_routes if n.path == "/api")
    assert prefix.methods == {}


@pytest.mark.parametrize(
    ("http_method", "path"),
    [
        ("GET", "/admin/"),
        ("POST", "/admin/login/"),
        ("GET", "/admin/tenants/tenant/"),
        ("GET", "/readyz"),
        ("GET", "/"),
        ("GET", "/api"),
        ("GET", "/static/admin/css/base.css"),
        ("GET", "/apiv1/employees/"),
        ("POST", "/healthz"),
        ("GET", "/healthz/extra"),
    ],
)
def test_internal_paths_are_not_routable(
    synth_routes: list[Node], http_method: str, path: str
) -> None:
    assert resolve(synth_routes, http_method, path) is None


@pytest.mark.parametrize(
    ("http_method", "path", "key_required"),
    [
        ("GET", "/api/v1/employees/", True),
        ("POST", "/api/v1/employees/", True),
        ("DELETE", "/api/v1/employees/42/", True),
        ("GET", "/api/v1/employees/?department=3&page=2", True),
        ("GET", "/api/schema/", True),
        ("GET", "/api/docs/", True),
        ("GET", "/healthz", False),
    ],
)
def test_tenant_paths_reach_the_app_unchanged(
    synth_routes: list[Node], http_method: str, path: str, key_required: bool
) -> None:
    request_path = path.split("?", 1)[0]
    match = resolve(synth_routes, http_method, request_path)
    assert match is not None, f"{http_method} {path} is not routed"
    assert match.method.inputs["apiKeyRequired"] is key_required
    assert match.method.inputs["authorization"] == "NONE"
    integration = match.integration.inputs
    assert integration["type"] == "HTTP_PROXY"
    assert integration["connectionType"] == "VPC_LINK"
    # HTTP_PROXY forwards the query string itself; the path must come through as requested.
    assert backend_url(match) == f"http://{NLB_DNS}:80{request_path}"


def test_the_health_route_is_the_only_one_without_a_key(synth_routes: list[Node]) -> None:
    methods = [(n.path, m) for n in all_nodes(synth_routes) for m in n.methods.values()]
    open_routes = [
        (p, m.inputs["httpMethod"]) for p, m in methods if not m.inputs["apiKeyRequired"]
    ]
    assert open_routes == [("/healthz", "GET")]
    assert len(methods) == 2


def _top_level_routes() -> list[str]:
    """The app's top-level URL patterns, with the empty-prefix include (health) flattened."""
    routes: list[str] = []
    for entry in get_resolver().url_patterns:
        prefix = str(entry.pattern)
        if isinstance(entry, URLResolver) and prefix == "":
            routes += [str(p.pattern) for p in entry.url_patterns if isinstance(p, URLPattern)]
        else:
            routes.append(prefix)
    return routes


@pytest.mark.parametrize("stack", STACKS)
def test_every_app_route_is_exposed_or_deliberately_internal(stack: str) -> None:
    """A new top-level app route fails here until someone decides whether tenants reach it."""
    roots = route_tree(stack_plan(stack))
    routes = _top_level_routes()
    assert set(routes) >= INTERNAL_APP_ROUTES
    for route in routes:
        routable = resolve(roots, "GET", f"/{route}") is not None
        assert routable == (route not in INTERNAL_APP_ROUTES), f"/{route}"


@pytest.mark.parametrize("stack", STACKS)
def test_real_stacks_route_like_the_component(stack: str) -> None:
    plan = stack_plan(stack)
    roots = route_tree(plan)
    assert sorted(n.path for n in all_nodes(roots)) == ["/api", "/api/{proxy+}", "/healthz"]
    assert resolve(roots, "GET", "/admin/") is None
    match = resolve(roots, "GET", "/api/v1/employees/")
    assert match is not None
    (nlb,) = plan.by_type("aws:lb/loadBalancer:LoadBalancer")
    assert backend_url(match).endswith(".elb.eu-west-1.amazonaws.com:80/api/v1/employees/")
    assert nlb.inputs["internal"] is True
