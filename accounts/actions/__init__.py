"""The write path of accounts: access (invitations, access requests, roles, deactivation) and personal
data (anonymisation of a person, the retention job). See each module's docstring."""

from accounts.actions.access import *  # noqa: F403
from accounts.actions.access import TOKEN_SALT, invitation_for_token, invitation_token  # noqa: F401
from accounts.actions.marks import *  # noqa: F403
from accounts.actions.personal_data import *  # noqa: F403
