"""
moto_server with the AWS APIs ScopeCloud's budget set-up needs and moto 5.2 does not serve.

Started by test/support/moto.ts (`startMoto({ extended: true })`) instead of `moto_server`, with the
same arguments. It adds handlers to moto's own response classes, so requests travel the same wire
protocol (JSON 1.1, X-Amz-Target) through moto's server and state lives on moto's backends (reset by
POST /moto-api/reset like everything else):

- Budgets: UpdateBudget, DescribeSubscribersForNotification, CreateBudgetAction, DescribeBudgetAction, DescribeBudgetActionsForBudget,
  DescribeBudgetActionsForAccount, DeleteBudgetAction. CreateBudgetAction checks what AWS checks
  that matters here: the budget exists, the execution role exists in moto's IAM, the IAM policy
  exists, and there are 1 to 11 subscribers.
- Cost Explorer: UpdateCostAllocationTagsStatus, ListCostAllocationTags. A user tag key is known to
  Cost Explorer once an EC2 instance in moto carries it (AWS sees it in billing data) or once it
  was activated; activating an unknown key is reported in `Errors`, as AWS does.
"""

import json
import sys
import uuid
from typing import Any

from moto.budgets.exceptions import NotFoundException
from moto.budgets.responses import BudgetsResponse
from moto.ce.responses import CostExplorerResponse
from moto.core.exceptions import JsonRESTError
from moto.core.utils import unix_time


class InvalidParameterException(JsonRESTError):
    code = 400

    def __init__(self, message: str):
        super().__init__("InvalidParameterException", message)


def _actions(backend: Any, account_id: str) -> dict[str, list[dict[str, Any]]]:
    store = backend.__dict__.setdefault("scopecloud_actions", {})
    return store.setdefault(account_id, {})


def _iam(account_id: str) -> Any:
    from moto.iam.models import iam_backends

    return iam_backends[account_id]["aws"]


def _budget(backend: Any, account_id: str, name: str) -> Any:
    budget = backend.budgets[account_id].get(name)
    if budget is None:
        raise NotFoundException(f"Unable to find budget: {name} - the budget doesn't exist.")
    return budget


def update_budget(self: BudgetsResponse) -> str:
    account_id = self._get_param("AccountId")
    new = self._get_param("NewBudget")
    budget = _budget(self.backend, account_id, new["BudgetName"])
    for key, value in new.items():
        budget.budget[key] = value
    budget.budget["LastUpdatedTime"] = unix_time()
    return json.dumps({})


def describe_subscribers_for_notification(self: BudgetsResponse) -> str:
    account_id = self._get_param("AccountId")
    budget = _budget(self.backend, account_id, self._get_param("BudgetName"))
    wanted = self._get_param("Notification")
    for n in budget.notifications:
        if all(n.details.get(k) == wanted.get(k) for k in ("NotificationType", "ComparisonOperator", "Threshold")):
            return json.dumps({"Subscribers": n.subscribers})
    raise NotFoundException("Unable to find the notification of budget")


def create_budget_action(self: BudgetsResponse) -> str:
    account_id = self._get_param("AccountId")
    name = self._get_param("BudgetName")
    _budget(self.backend, account_id, name)
    role_arn = self._get_param("ExecutionRoleArn")
    role_name = role_arn.rsplit("/", 1)[-1]
    iam = _iam(account_id)
    if not any(r.name == role_name for r in iam.roles.values()):
        raise InvalidParameterException(f"Invalid ExecutionRoleArn: role {role_arn} does not exist")
    definition = self._get_param("Definition")
    policy_arn = definition.get("IamActionDefinition", {}).get("PolicyArn")
    if policy_arn and policy_arn not in iam.managed_policies:
        raise InvalidParameterException(f"Invalid PolicyArn: policy {policy_arn} does not exist")
    subscribers = self._get_param("Subscribers") or []
    if not 1 <= len(subscribers) <= 11:
        raise InvalidParameterException("Subscribers must hold 1 to 11 entries")
    action = {
        "ActionId": str(uuid.uuid4()),
        "BudgetName": name,
        "NotificationType": self._get_param("NotificationType"),
        "ActionType": self._get_param("ActionType"),
        "ActionThreshold": self._get_param("ActionThreshold"),
        "Definition": definition,
        "ExecutionRoleArn": role_arn,
        "ApprovalModel": self._get_param("ApprovalModel"),
        "Status": "STANDBY",
        "Subscribers": subscribers,
    }
    _actions(self.backend, account_id).setdefault(name, []).append(action)
    return json.dumps({"AccountId": account_id, "BudgetName": name, "ActionId": action["ActionId"]})


def _find_action(self: BudgetsResponse) -> tuple[str, dict[str, Any]]:
    account_id = self._get_param("AccountId")
    name = self._get_param("BudgetName")
    action_id = self._get_param("ActionId")
    for action in _actions(self.backend, account_id).get(name, []):
        if action["ActionId"] == action_id:
            return account_id, action
    raise NotFoundException(f"Unable to find action {action_id} of budget {name}")


def describe_budget_action(self: BudgetsResponse) -> str:
    account_id, action = _find_action(self)
    return json.dumps({"AccountId": account_id, "BudgetName": action["BudgetName"], "Action": action})


def describe_budget_actions_for_budget(self: BudgetsResponse) -> str:
    account_id = self._get_param("AccountId")
    name = self._get_param("BudgetName")
    _budget(self.backend, account_id, name)
    return json.dumps({"Actions": _actions(self.backend, account_id).get(name, [])})


def describe_budget_actions_for_account(self: BudgetsResponse) -> str:
    account_id = self._get_param("AccountId")
    actions = [a for per_budget in _actions(self.backend, account_id).values() for a in per_budget]
    return json.dumps({"Actions": actions})


def delete_budget_action(self: BudgetsResponse) -> str:
    account_id, action = _find_action(self)
    per_budget = _actions(self.backend, account_id)[action["BudgetName"]]
    per_budget.remove(action)
    return json.dumps({"AccountId": account_id, "BudgetName": action["BudgetName"], "Action": action})


def _known_tag_keys(account_id: str) -> set[str]:
    from moto.ec2.models import ec2_backends

    keys: set[str] = set()
    for backend in ec2_backends[account_id].values():
        for tags in backend.tags.values():
            keys.update(tags.keys())
    return keys


def _tag_state(ce: Any) -> dict[str, dict[str, Any]]:
    return ce.__dict__.setdefault("scopecloud_cost_allocation_tags", {})


def update_cost_allocation_tags_status(self: CostExplorerResponse) -> str:
    params = json.loads(self.body)
    state = _tag_state(self.ce_backend)
    known = _known_tag_keys(self.current_account)
    errors = []
    for entry in params.get("CostAllocationTagsStatus", []):
        key = entry["TagKey"]
        if key not in known and key not in state:
            errors.append({"TagKey": key, "Code": "TagKeysNotFoundException", "Message": f"Tag key {key} has not been seen in billing data"})
            continue
        state[key] = {"TagKey": key, "Type": "UserDefined", "Status": entry["Status"], "LastUpdatedDate": "2026-01-01T00:00:00Z"}
    return json.dumps({"Errors": errors})


def list_cost_allocation_tags(self: CostExplorerResponse) -> str:
    params = json.loads(self.body)
    state = _tag_state(self.ce_backend)
    tags = {key: {"TagKey": key, "Type": "UserDefined", "Status": "Inactive"} for key in _known_tag_keys(self.current_account)}
    tags.update(state)
    wanted = params.get("TagKeys")
    status = params.get("Status")
    listed = [t for t in tags.values() if (not wanted or t["TagKey"] in wanted) and (not status or t["Status"] == status)]
    return json.dumps({"CostAllocationTags": listed})


for fn in (
    update_budget,
    describe_subscribers_for_notification,
    create_budget_action,
    describe_budget_action,
    describe_budget_actions_for_budget,
    describe_budget_actions_for_account,
    delete_budget_action,
):
    setattr(BudgetsResponse, fn.__name__, fn)
for fn in (update_cost_allocation_tags_status, list_cost_allocation_tags):
    setattr(CostExplorerResponse, fn.__name__, fn)

if __name__ == "__main__":
    from moto.server import main

    main(sys.argv[1:])
