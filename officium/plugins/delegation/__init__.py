"""外出授权: before going out, a person (the principal) names a colleague (the delegate) to handle their
work for a period and a scope (all modules, or chosen ones).

While a delegation is active the principal's open work items in scope move to the delegate, and new ones
go straight to the delegate (through the engine's ``workflow_assignee`` hook); the delegate's actions are
logged as "B 代 A".  At the end time, or when the principal presses 我已返回, the unfinished items go back.
Delegation is not transitive, never covers the three administrators (三员) and never covers seal custody.
The rules live in ``service``; time-based starts and ends need no background job (see
``service.sync_delegations``).
"""

from officium import PluginInfo

__version__ = "0.1.0"

PLUGIN = PluginInfo(
    name="delegation",
    title="外出授权",
    area="个人事务",
    version=__version__,
    description="外出前授权他人代为办理待办事项；到期或返回后自动收回，代办记录可查。",
)
