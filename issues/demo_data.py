"""Word lists and text builders for `manage.py seed_demo`: teams, people, customers,
labels, and issue titles, descriptions and comments that read like a real tracker.

Dependency-free and deterministic: every builder takes the caller's `random.Random`,
so the same seed gives the same texts. Titles are assembled from parts, so even a
million of them rarely repeat.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

# Demo accounts use this e-mail domain; `seed_demo --reset` deletes only them.
DEMO_DOMAIN = "demo.example"
DEMO_PASSWORD = "demo"  # noqa: S105 (printed for everyone to use)  # nosec B105

_FIELD_RE = re.compile(r"{(\w+)}")

# key, name, description, share of the issues
TEAMS: list[tuple[str, str, str, int]] = [
    ("ENG", "Engineering", "Product development: the web app, the API and its services.", 30),
    ("SUP", "Support desk", "Customer questions, complaints and problem reports.", 35),
    ("OPS", "Operations", "Infrastructure, deployments, access and incidents.", 15),
    ("MOB", "Mobile", "The iOS and Android apps.", 20),
    ("WEB", "Web platform", "The marketing site, docs and signup funnel.", 12),
]

# username, first name, last name, {team key: role}
PEOPLE: list[tuple[str, str, str, dict[str, str]]] = [
    ("nadia", "Nadia", "Petrova", {"ENG": "admin", "WEB": "member"}),
    ("tom", "Tom", "Becker", {"ENG": "member"}),
    ("lena", "Lena", "Hoffmann", {"ENG": "member", "SUP": "member"}),
    ("ravi", "Ravi", "Menon", {"ENG": "member", "OPS": "member"}),
    ("marco", "Marco", "Rossi", {"ENG": "member", "WEB": "admin"}),
    ("jun", "Jun", "Tanaka", {"ENG": "member"}),
    ("ana", "Ana", "Silva", {"ENG": "member", "MOB": "member"}),
    ("sofia", "Sofia", "Lindqvist", {"SUP": "support", "ENG": "support"}),
    ("hannah", "Hannah", "Okafor", {"SUP": "admin", "ENG": "viewer"}),
    ("li", "Li", "Wei", {"SUP": "support"}),
    ("omar", "Omar", "Haddad", {"SUP": "support", "OPS": "support"}),
    ("emma", "Emma", "Dubois", {"SUP": "support", "MOB": "support"}),
    ("carlos", "Carlos", "Mendes", {"SUP": "support", "WEB": "support"}),
    ("ivan", "Ivan", "Kowalski", {"OPS": "admin"}),
    ("kofi", "Kofi", "Mensah", {"OPS": "member"}),
    ("maya", "Maya", "Levi", {"OPS": "member", "ENG": "member"}),
    ("yuki", "Yuki", "Sato", {"MOB": "admin"}),
    ("diego", "Diego", "Fernandez", {"MOB": "member"}),
    ("chloe", "Chloe", "Martin", {"MOB": "member", "WEB": "member"}),
    ("noah", "Noah", "Schmidt", {"MOB": "member"}),
    ("greg", "Greg", "Palmer", {"ENG": "viewer", "SUP": "viewer", "MOB": "viewer"}),
    ("paula", "Paula", "Novak", {"OPS": "viewer", "SUP": "viewer"}),
    ("zoe", "Zoe", "Clarke", {"ENG": "viewer", "WEB": "member"}),
]

FIRST_NAMES = [
    "Aaron", "Abigail", "Adam", "Aisha", "Alex", "Amara", "Amir", "Anders", "Andrea", "Anika",
    "Ben", "Bianca", "Boris", "Carla", "Chen", "Clara", "Daniel", "Dara", "David", "Elena",
    "Elif", "Eric", "Eva", "Farah", "Felix", "Fiona", "Gabriel", "Grace", "Hamza", "Hugo",
    "Ines", "Isaac", "Jana", "Jonas", "Julia", "Kai", "Karim", "Katja", "Laura", "Leo",
    "Lucas", "Lucia", "Malik", "Marta", "Mateo", "Mia", "Nina", "Nora", "Oliver", "Olga",
    "Pablo", "Priya", "Rafael", "Rosa", "Sam", "Sara", "Simon", "Tariq", "Tess", "Theo",
    "Uma", "Victor", "Wanda", "Xavier", "Yara", "Yusuf", "Zara", "Jack", "Ingrid", "Mohammed",
]  # fmt: skip
LAST_NAMES = [
    "Adams", "Ahmed", "Andersson", "Baker", "Banerjee", "Berg", "Brown", "Castro", "Chen",
    "Costa", "Dahl", "Das", "Evans", "Fischer", "Garcia", "Green", "Gupta", "Hall", "Ivanova",
    "Jensen", "Kaur", "Kim", "Klein", "Larsen", "Lopez", "Meyer", "Moreau", "Murphy", "Nguyen",
    "Nielsen", "Nowak", "O'Brien", "Park", "Patel", "Quinn", "Ramos", "Reyes", "Roberts",
    "Santos", "Schulz", "Singh", "Smith", "Suzuki", "Taylor", "Torres", "Vargas", "Wagner",
    "Walsh", "Weber", "Wilson", "Yilmaz", "Young", "Zhang", "Zimmermann",
]  # fmt: skip

ORGANIZATIONS = [
    "Acme Logistics", "Northwind Traders", "Blue Harbor Dental", "Kettle & Crumb Bakery",
    "Fjord Analytics", "Brightline Legal", "Pinecrest School District", "Helios Solar",
    "Marlow Architects", "Quartz Health", "Nimbus Travel", "Copperleaf Insurance",
    "Redwood Realty", "Orbit Media", "Lumen Labs", "Seaside Hotels", "Atlas Freight",
    "Verde Grocers", "Summit Physio", "Granite Credit Union", "Tidewater Marine",
    "Foxglove Florists", "Ironbridge Engineering", "Maple & Finch Accountants",
    "Starling Events", "Cobalt Robotics", "Harvest Co-op", "Silverline Clinics",
    "Beacon Nonprofit Alliance", "Everest Outdoor", "Juniper Wealth", "Polar Cold Storage",
    "Riverside Veterinary", "Saffron Restaurants", "Trailhead Bikes", "Urban Nest Rentals",
    "Vantage Recruiting", "Wavelength Studios", "Yellowstone Print", "Zenith Pharmacy",
]  # fmt: skip

# name, colour, description
LABELS: dict[str, list[tuple[str, str, str]]] = {
    "ENG": [
        ("bug", "#d73a4a", "Something doesn't work as designed"),
        ("regression", "#b60205", "Worked before a release"),
        ("performance", "#fbca04", "Slow pages, queries or jobs"),
        ("security", "#5319e7", "Needs a security review"),
        ("ui", "#1d76db", "Layout, styling, accessibility"),
        ("api", "#0e8a16", "Public REST API and webhooks"),
        ("database", "#006b75", "Schema, migrations, queries"),
        ("tech-debt", "#c5def5", "Clean-up with no visible change"),
        ("enhancement", "#a2eeef", "Improvement of an existing feature"),
    ],
    "SUP": [
        ("billing", "#e99695", "Invoices, payments, refunds"),
        ("login", "#d93f0b", "Sign-in, passwords, 2FA, SSO"),
        ("account", "#0052cc", "Users, seats, ownership"),
        ("data-export", "#0e8a16", "Exports and reports"),
        ("vip", "#b60205", "Enterprise customer"),
        ("documentation", "#c2e0c6", "The help center is unclear or wrong"),
        ("onboarding", "#bfd4f2", "New customers getting started"),
        ("bug", "#d73a4a", "Confirmed product bug"),
    ],
    "OPS": [
        ("infrastructure", "#5319e7", "Servers, clusters, networks"),
        ("monitoring", "#fbca04", "Alerts and dashboards"),
        ("deploy", "#0e8a16", "CI/CD and releases"),
        ("backup", "#006b75", "Backups and restores"),
        ("access-request", "#c5def5", "Accounts and permissions"),
        ("incident", "#b60205", "Production incident follow-up"),
        ("cost", "#f9d0c4", "Cloud spending"),
    ],
    "MOB": [
        ("ios", "#1d76db", "iPhone and iPad"),
        ("android", "#0e8a16", "Android phones and tablets"),
        ("crash", "#b60205", "App crashes or freezes"),
        ("push", "#fbca04", "Push notifications"),
        ("offline", "#c5def5", "Offline mode and sync"),
        ("app-store", "#5319e7", "Store listing and review"),
        ("accessibility", "#006b75", "VoiceOver, TalkBack, font sizes"),
    ],
    "WEB": [
        ("frontend", "#1d76db", "HTML, CSS, JavaScript"),
        ("seo", "#0e8a16", "Search engine visibility"),
        ("accessibility", "#006b75", "WCAG issues"),
        ("browser-compat", "#fbca04", "Works in one browser, not another"),
        ("design", "#f9d0c4", "Needs design input"),
        ("analytics", "#c5def5", "Tracking and funnels"),
        ("content", "#bfd4f2", "Copy and translations"),
    ],
}
GENERIC_LABELS = [
    ("bug", "#d73a4a", ""),
    ("enhancement", "#a2eeef", ""),
    ("question", "#d876e3", ""),
    ("urgent", "#b60205", ""),
]

# A label name per kind that a triager is likely to pick when the team has it.
KIND_LABELS = {
    "bug": ("bug", "regression", "crash", "frontend"),
    "feature": ("enhancement", "design"),
    "complaint": ("vip", "billing"),
    "question": ("documentation", "account", "onboarding", "question"),
    "feedback": ("design", "enhancement", "ui"),
    "task": ("tech-debt", "infrastructure", "deploy", "access-request", "content"),
}

# How each team's issues look: kinds, how many come from customers, and channels.
PROFILES: dict[str, dict] = {
    "ENG": {
        "kinds": {"bug": 45, "feature": 20, "task": 25, "question": 5, "feedback": 5},
        "customer_rate": 0.15,
        "channels": {"web": 75, "api": 10, "email": 15},
        "customer_channels": {"email": 60, "web": 40},
    },
    "SUP": {
        "kinds": {"question": 38, "complaint": 18, "bug": 27, "feedback": 10, "feature": 7},
        "customer_rate": 0.9,
        "channels": {"web": 70, "email": 30},
        "customer_channels": {"email": 45, "chat": 25, "phone": 15, "web": 15},
    },
    "OPS": {
        "kinds": {"task": 55, "bug": 30, "question": 10, "feature": 5},
        "customer_rate": 0.04,
        "channels": {"web": 80, "email": 10, "api": 10},
        "customer_channels": {"email": 100},
    },
    "MOB": {
        "kinds": {"bug": 50, "feedback": 20, "feature": 20, "question": 5, "task": 5},
        "customer_rate": 0.3,
        "channels": {"web": 85, "email": 15},
        "customer_channels": {"email": 50, "chat": 30, "web": 20},
    },
    "WEB": {
        "kinds": {"bug": 35, "task": 30, "feature": 20, "feedback": 15},
        "customer_rate": 0.1,
        "channels": {"web": 90, "email": 10},
        "customer_channels": {"email": 70, "chat": 30},
    },
}
DEFAULT_PROFILE = {
    "kinds": {"bug": 35, "task": 25, "feature": 15, "question": 15, "feedback": 5, "complaint": 5},
    "customer_rate": 0.2,
    "channels": {"web": 80, "email": 20},
    "customer_channels": {"email": 60, "web": 40},
}

# --- vocabulary ---------------------------------------------------------------------

COMPONENTS: dict[str, list[str]] = {
    "ENG": [
        "search", "the REST API", "webhooks", "the CSV export", "PDF invoices",
        "the billing service", "background jobs", "the login page", "password reset",
        "SSO login", "two-factor authentication", "the dashboard", "reports",
        "the comment editor", "file uploads", "notification emails", "the activity feed",
        "user settings", "team invitations", "the audit log", "rate limiting",
        "the import wizard", "calendar sync", "the Slack integration", "the date picker",
        "the permissions page", "bulk edit", "saved filters", "the GraphQL endpoint",
        "the public status page",
    ],
    "SUP": [
        "invoices", "the billing page", "the login page", "password reset emails",
        "account settings", "the data export", "the subscription page", "team invitations",
        "the customer portal", "email notifications", "the onboarding checklist", "SSO",
        "the trial account", "user seats", "VAT invoices", "payment receipts",
        "the help center", "the chat widget", "card payments", "the reports page",
    ],
    "OPS": [
        "the production database", "nightly backups", "the VPN", "monitoring alerts",
        "the CI pipeline", "TLS certificates", "DNS", "log retention",
        "the staging environment", "the on-call rota", "the read replica",
        "disk space on worker nodes", "the Kubernetes cluster", "the object storage bucket",
        "the load balancer", "Redis", "the mail relay", "cron jobs", "the secrets vault",
        "the build cache", "SSH access", "log shipping", "the Celery workers", "the CDN",
    ],
    "MOB": [
        "the iOS app", "the Android app", "push notifications", "offline sync",
        "photo uploads", "Face ID login", "deep links", "the home screen widget",
        "dark mode", "the tablet layout", "in-app purchases", "the onboarding screens",
        "the document scanner", "background refresh", "the share sheet",
        "fingerprint login", "app start-up", "the settings screen", "the map view",
        "the notification inbox",
    ],
    "WEB": [
        "the marketing site", "the pricing page", "the signup form", "the blog",
        "the docs site", "the cookie banner", "the landing page", "the contact form",
        "the newsletter signup", "the changelog page", "the careers page", "site search",
        "the customer stories page", "the footer", "the navigation menu", "the 404 page",
        "the webinar registration", "the partner directory", "the demo booking form",
    ],
}  # fmt: skip

SYMPTOMS = [
    "shows a blank page", "times out", "returns a 500 error", "is very slow",
    "shows the wrong totals", "crashes", "loses unsaved changes", "shows duplicate entries",
    "ignores the time zone", "does not load", "freezes", "renders incorrectly",
    "sends duplicate emails", "shows stale data", "rejects valid input", "logs users out",
    "overlaps the sidebar", "truncates long names", "skips the last row",
    "uses the wrong currency", "spins forever", "breaks the layout", "drops attachments",
    "mixes up dates", "shows untranslated text", "fails silently", "hangs on submit",
    "shows an empty list", "throws a JavaScript error", "ignores the selected filter",
    "shows the wrong user's name", "rounds amounts incorrectly",
]  # fmt: skip
OPS_SYMPTOMS = [
    "is down", "is running out of space", "keeps flapping", "fails intermittently",
    "is slower than usual", "expires in 10 days", "rejects connections", "fills up the logs",
    "uses 100% CPU", "lags behind by minutes", "stopped overnight", "fails on every run",
    "returns 502s", "drops packets", "restarts in a loop", "is missing metrics",
]  # fmt: skip
MOB_SYMPTOMS = [
    "crashes on launch", "drains the battery", "shows a white screen", "freezes on scroll",
    "loses the session", "shows the wrong badge count", "ignores the system font size",
    "opens the wrong screen", "duplicates photos", "keeps syncing forever",
    "cuts off the keyboard", "flickers in dark mode",
]  # fmt: skip

CONDITIONS = [
    "on Safari", "on iOS 18", "on Android 15", "in Firefox", "for SSO users",
    "after the latest release", "for accounts in Europe/Berlin", "on slow connections",
    "when the name contains an apostrophe", "in dark mode", "for invited users",
    "on first login", "when switching teams", "on Windows 11", "behind a corporate proxy",
    "for read-only users", "after changing the language", "with emoji in the title",
    "on the EU instance", "since Monday", "for some customers", "intermittently",
    "when filtering by date", "with large attachments", "in Edge", "at month end",
    "after a password reset", "in the German locale", "on iPad",
    "for accounts on the legacy plan", "when two people edit at once",
]  # fmt: skip
# Generated conditions: with these, a million bug titles rarely repeat.
CONDITION_TEMPLATES = [
    "with more than {rows} rows", "since version {version}", "for {org}",
    "after {change}", "on {device}", "in {browser}", "for users in {tz}",
    "for {org} since {weekday}", "with {n} or more assignees", "on the {weekday} import",
]  # fmt: skip
DEVICES = [
    "iPhone 12", "iPhone 13 mini", "iPhone 14", "iPhone 15 Pro", "iPhone 16", "iPhone SE",
    "iPad Air", "Pixel 6", "Pixel 7a", "Pixel 8", "Pixel 9 Pro", "Galaxy S21", "Galaxy S23",
    "Galaxy A54", "OnePlus 11", "Xiaomi 13", "a Chromebook", "an older Android tablet",
]  # fmt: skip
BROWSERS = ["Chrome {v}", "Firefox {v}", "Safari 17.{m}", "Safari 18.{m}", "Edge {v}"]
TIME_ZONES = [
    "Australia/Sydney", "America/New_York", "America/Sao_Paulo", "Asia/Kolkata", "Asia/Tokyo",
    "Europe/London", "Europe/Berlin", "Africa/Lagos", "Pacific/Auckland", "America/Denver",
    "Asia/Singapore", "Europe/Istanbul",
]  # fmt: skip
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
ROWS = ["500", "1,000", "2,000", "5,000", "10,000", "50,000", "100,000"]
CHANGES = [
    "the last deploy", "the redesign", "the move to the new payment provider",
    "the iOS 18 update", "the password policy change", "the database upgrade",
    "enabling SSO", "the pricing change", "the CDN switch", "the new editor rollout",
]  # fmt: skip
ERRORS = [
    "Timeout", '"Something went wrong" message', "Blank screen", "Wrong totals",
    "Missing rows", "Duplicate notifications", "Broken layout", "Unexpected logout",
    "Encoding error", "Rounding error", "Permission error", "Infinite redirect",
    "Mixed-up time zones", "Validation error",
]  # fmt: skip
LOG_LINES = [
    "psycopg.errors.QueryCanceled: canceling statement due to statement timeout",
    "KeyError: 'customer_id'", "TypeError: Cannot read properties of undefined (reading 'id')",
    "upstream prematurely closed connection", "ValueError: invalid literal for int()",
    "SSL: CERTIFICATE_VERIFY_FAILED", "OOMKilled", "deadlock detected",
    "429 Too Many Requests", "NSInternalInconsistencyException",
    "java.lang.NullPointerException at SyncWorker.run", "IntegrityError: duplicate key value",
]  # fmt: skip

HOW_TO = [
    "export all invoices as CSV", "change the account owner", "add a second admin",
    "reset two-factor authentication for a colleague", "merge two accounts",
    "change the billing email", "download last year's invoices", "restore a deleted project",
    "limit access to one team", "connect our Slack workspace", "set up SSO with Okta",
    "change the invoice address", "move items between projects", "cancel the trial",
    "add our VAT number", "transfer data to a new workspace", "turn off email notifications",
    "invite external collaborators", "see who deleted a record",
    "change the language for all users", "get an API token", "pay by bank transfer",
    "switch to annual billing", "remove a user but keep their data", "rename our workspace",
    "schedule a weekly report", "import data from a spreadsheet", "find archived items",
    "add a custom domain", "set a default time zone", "get a copy of the signed DPA",
    "reduce the number of seats",
]  # fmt: skip
QUALIFIERS = [
    "without admin rights", "from the mobile app", "for the whole team", "in bulk",
    "through the API", "on the free plan", "for last quarter", "before the renewal",
    "without losing history", "for a single project",
]  # fmt: skip
TOPICS = [
    "invoice numbering", "data retention", "GDPR deletion requests", "API rate limits",
    "seat pricing", "SSO setup", "the upcoming price change", "data residency in the EU",
    "uptime guarantees", "accessibility compliance", "the export format",
    "how reminders are sent", "backup frequency", "the education discount",
]  # fmt: skip
COMPLAINTS = [
    "Charged twice for the {month} subscription (card ending {card})",
    "{Component} has been unusable for {n} days",
    "No reply to ticket #{ticket} for {n} days",
    "Unhappy with the new {component} layout",
    "Invoice INV-{year}-{invoice} shows the wrong VAT rate",
    "Account of {person} locked without warning",
    "Repeated downtime of {component} during business hours",
    "Exporting {component} took {n} hours",
    "Price increase without notice for our {seats} seats",
    "{org} threatens to cancel over {grievance}",
    "Refund for INV-{year}-{invoice} still not received after {n} weeks",
    "Far too many notification emails from {component}",
    "Unhelpful answer on chat about {topic}",
    "Promised callback about {topic} never came",
    "{Component} changed without warning and confused our staff",
]
GRIEVANCES = [
    "slow support", "missing invoices", "last week's outage", "login problems",
    "the new pricing", "lost data", "the removed export", "the broken integration",
]  # fmt: skip
MONTHS = [
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
]  # fmt: skip
SUGGESTIONS = [
    "the font is too small", "it needs keyboard shortcuts", "the colours are hard to tell apart",
    "it should remember my filters", "it hides the totals", "the buttons moved",
    "it takes two clicks too many", "the labels are unclear", "it needs an undo",
]  # fmt: skip
UI_THINGS = [
    "the save button", "the filter panel", "the export option", "the notification bell",
    "the archive toggle", "the search box", "the help link", "the team switcher",
]  # fmt: skip
FEATURES = [
    "a dark mode", "keyboard shortcuts", "CSV export", "saved views", "due date reminders",
    "column sorting", "an undo button", "custom fields", "a print view", "a date filter",
    "multi-currency totals", "inline editing", "drag and drop", "an audit trail",
    "webhooks", "an offline mode", "SAML login", "daily email digests",
    "two-factor enforcement", "a public API endpoint", "bulk actions", "templates",
]  # fmt: skip
WHO = [
    "admins", "viewers", "guests", "support agents", "team leads", "external collaborators",
    "billing contacts", "new users",
]  # fmt: skip
CAPABILITIES = [
    "export their own data", "see archived items", "change their email address",
    "mute notifications per project", "approve refunds", "restore deleted items",
    "edit comments after an hour", "pin important items", "set working hours",
    "share read-only links", "choose their start page", "merge duplicate contacts",
]  # fmt: skip
INTEGRATIONS = [
    "Microsoft Teams notifications", "Google Calendar sync", "Jira import", "Zapier",
    "SCIM provisioning", "Salesforce sync", "HubSpot contacts", "Sign in with Apple",
    "PagerDuty alerts", "Sentry links", "GitHub pull request links", "an Outlook add-in",
    "Stripe Tax", "Xero invoices",
]  # fmt: skip
TASK_VERBS = [
    "Upgrade", "Migrate", "Document", "Refactor", "Add tests for", "Profile", "Clean up",
    "Review", "Add monitoring for", "Automate", "Remove dead code in", "Add metrics to",
    "Write a runbook for", "Load-test", "Harden", "Audit", "Simplify", "Translate",
]  # fmt: skip
TASK_QUALIFIERS = [
    "", "", "", "before the Q3 release", "for the EU region", "(follow-up)",
    "after the incident", "for the SOC 2 audit", "this sprint", "before the freeze",
    "for the enterprise launch", "(part 2)",
]  # fmt: skip
OPS_TASKS = [
    "Rotate TLS certificates for {host}", "Upgrade PostgreSQL on {host}", "Resize {host}",
    "Patch {host} for {cve}", "Test a restore of {backup} on {host}",
    "Grant {person} access to {system}", "Offboard {person} from {system}",
    "Move {host} to the new subnet", "Set up alerting for {system} on {host}",
    "Decommission {host}", "Renew the {system} contract before {month}",
    "Tune autovacuum on {host}",
]  # fmt: skip
OPS_TASK_SUFFIXES = [
    "before the {month} maintenance window", "for {org}", "(asked by {person})",
    "after INC-{inc}", "on {weekday}",
]  # fmt: skip
HOSTS = ["api-{n}", "db-{n}", "worker-{n}", "cache-{n}", "search-{n}", "bastion-{n}"]
SYSTEMS = [
    "Grafana", "the VPN", "the AWS console", "Sentry", "the CI server", "the secrets vault",
    "PagerDuty", "the staging database", "the log archive",
]  # fmt: skip
BACKUPS = ["last night's database backup", "the file store snapshot", "the Redis dump"]
TITLE_SUFFIXES = [
    "(customer-facing)", "[regression]", "- affects several customers", "(needs design)",
    "[blocker for release]", "(only in production)",
]  # fmt: skip


def pick(rng: random.Random, weights: dict[str, int]) -> str:
    """One key of `weights`, chosen with probability proportional to its value."""
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


_SINGULAR_S = {
    "DNS",
    "Redis",
    "SSH access",
    "disk space on worker nodes",
    "the customer stories page",
}
_IRREGULAR = {"is": "are", "does": "do", "has": "have"}


def _agree(subject: str, predicate: str) -> str:
    """Make `predicate` (it "shows", "is", ...) agree with a plural `subject`."""
    if not subject.endswith("s") or subject in _SINGULAR_S:
        return predicate
    verb, _, rest = predicate.partition(" ")
    if verb in _IRREGULAR:
        verb = _IRREGULAR[verb]
    elif verb.endswith(("ches", "shes", "xes", "sses")):
        verb = verb[:-2]
    elif verb.endswith("ies"):
        verb = verb[:-3] + "y"
    elif verb.endswith("s"):
        verb = verb[:-1]
    return f"{verb} {rest}".strip()


def _condition(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return rng.choice(CONDITIONS)
    return rng.choice(CONDITION_TEMPLATES).format(
        rows=rng.choice(ROWS),
        version=f"4.{rng.randint(10, 40)}",
        org=rng.choice(ORGANIZATIONS),
        change=rng.choice(CHANGES),
        device=rng.choice(DEVICES),
        browser=rng.choice(BROWSERS).format(v=rng.randint(118, 131), m=rng.randint(0, 6)),
        tz=rng.choice(TIME_ZONES),
        weekday=rng.choice(WEEKDAYS),
        n=rng.randint(2, 5),
    )


# How each template field is drawn: from the generator and the component.
_DRAW = {
    "component": lambda rng, component: component,
    "Component": lambda rng, component: _cap(component),
    "bare": lambda rng, component: component.removeprefix("the "),
    "is": lambda rng, component: _agree(component, "is"),
    "n": lambda rng, component: str(rng.randint(2, 14)),
    "month": lambda rng, component: rng.choice(MONTHS),
    "org": lambda rng, component: rng.choice(ORGANIZATIONS),
    "grievance": lambda rng, component: rng.choice(GRIEVANCES),
    "topic": lambda rng, component: rng.choice(TOPICS),
    "condition": lambda rng, component: _condition(rng),
    "change": lambda rng, component: rng.choice(CHANGES),
    "version": lambda rng, component: f"4.{rng.randint(10, 40)}.{rng.randint(0, 9)}",
    "person": lambda rng, component: f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
    "host": lambda rng, component: rng.choice(HOSTS).format(n=rng.randint(1, 12)),
    "system": lambda rng, component: rng.choice(SYSTEMS),
    "backup": lambda rng, component: rng.choice(BACKUPS),
    "cve": lambda rng, component: f"CVE-2025-{rng.randint(10000, 59999)}",
    "log": lambda rng, component: rng.choice(LOG_LINES),
    "hex": lambda rng, component: f"{rng.getrandbits(48):012x}",
    "pr": lambda rng, component: str(rng.randint(1200, 9800)),
    "year": lambda rng, component: str(rng.choice([2024, 2025])),
    "invoice": lambda rng, component: f"{rng.randint(1, 99999):05d}",
    "weekday": lambda rng, component: rng.choice(WEEKDAYS),
    "seats": lambda rng, component: str(rng.randint(5, 400)),
    "inc": lambda rng, component: str(rng.randint(100, 999)),
    "card": lambda rng, component: f"{rng.randint(0, 9999):04d}",
    "ticket": lambda rng, component: str(rng.randint(10000, 99999)),
    "who": lambda rng, component: rng.choice(WHO),
}
_FIELDS: dict[str, list[str]] = {}  # template -> its fields, each once, in order


def _fill(rng: random.Random, template: str, team_key: str, **extra: str) -> str:
    """Format `template`, drawing only the parts it uses from the word lists (bulk
    seeding fills a million of these: the draws are made once, the fields found once)."""
    component = rng.choice(COMPONENTS.get(team_key, COMPONENTS["ENG"]))
    fields = _FIELDS.get(template)
    if fields is None:
        fields = _FIELDS[template] = list(dict.fromkeys(_FIELD_RE.findall(template)))
    values: dict[str, str] = {}
    for name in fields:
        if name in extra:
            values[name] = extra[name]
        elif name in _DRAW:
            values[name] = _DRAW[name](rng, component)
    if "symptom" in values:
        values["symptom"] = _agree(component, values["symptom"])
    return template.format(**values)


def _symptom(rng: random.Random, team_key: str) -> str:
    if team_key == "OPS":
        return rng.choice(OPS_SYMPTOMS)
    if team_key == "MOB" and rng.random() < 0.5:
        return rng.choice(MOB_SYMPTOMS)
    return rng.choice(SYMPTOMS)


BUG_TITLES = [
    "{Component} {symptom}",
    "{Component} {symptom} {condition}",
    "{Component} {symptom} {condition}",
    "{Component} {symptom} {condition}",
    "{error} in {component} {condition}",
    "Regression: {component} {symptom} {condition}",
    "{Component} {symptom} after {change}",
    "Intermittent: {component} {symptom} {condition}",
]
QUESTION_TITLES = [
    "How do I {how}?",
    "How do I {how} {qualifier}?",
    "Can we {how} {qualifier}?",
    "Is it possible to {how} {qualifier}?",
    "Where can I {how}?",
    "{org} asks how to {how}",
    "{org} asks how to {how} {qualifier}",
    "Question about {topic} for {org}",
    "Question about {topic} in {component}",
]
FEEDBACK_TITLES = [
    "Love the new {bare}, but {suggestion}",
    "{Component} {is} confusing for {who}",
    "Feedback on the {bare} redesign from {org}",
    "Notes from the call with {org} about {component}",
    "Users keep missing {ui} in {component}",
    "{month} survey comments about {component}",
    "{Component}: {suggestion}",
    "{org}: {suggestion} in {component}",
]
FEATURE_TITLES = [
    "Add {feature} to {component}",
    "Add {feature} to {component} for {who}",
    "Allow {who} to {capability} in {component}",
    "Support {integration} for {component}",
    "Support {integration} (requested by {org})",
    "{Component}: {feature}",
    "{Component}: let {who} {capability}",
]


def title(rng: random.Random, kind: str, team_key: str) -> str:
    """A believable issue title for `kind` in the team with `team_key`."""
    if kind == "bug":
        text = _fill(
            rng,
            rng.choice(BUG_TITLES),
            team_key,
            symptom=_symptom(rng, team_key),
            error=rng.choice(ERRORS),
        )
    elif kind == "question":
        text = _fill(
            rng,
            rng.choice(QUESTION_TITLES),
            team_key,
            how=rng.choice(HOW_TO),
            qualifier=rng.choice(QUALIFIERS),
        )
    elif kind == "complaint":
        text = _fill(rng, rng.choice(COMPLAINTS), team_key)
    elif kind == "feedback":
        text = _fill(
            rng,
            rng.choice(FEEDBACK_TITLES),
            team_key,
            suggestion=rng.choice(SUGGESTIONS),
            ui=rng.choice(UI_THINGS),
        )
    elif kind == "feature":
        text = _fill(
            rng,
            rng.choice(FEATURE_TITLES),
            team_key,
            feature=rng.choice(FEATURES),
            who=rng.choice(WHO),
            capability=rng.choice(CAPABILITIES),
            integration=rng.choice(INTEGRATIONS),
        )
    elif team_key == "OPS" and rng.random() < 0.7:
        text = _fill(rng, rng.choice(OPS_TASKS), team_key)
        if rng.random() < 0.5:
            text += " " + _fill(rng, rng.choice(OPS_TASK_SUFFIXES), team_key)
    else:
        text = _fill(
            rng,
            rng.choice(["{verb} {component} {qualifier}", "{verb} {component} after INC-{inc}"]),
            team_key,
            verb=rng.choice(TASK_VERBS),
            qualifier=rng.choice(TASK_QUALIFIERS),
        )
    # Customers' reports often carry the organisation, which also keeps titles varied.
    if kind in {"question", "complaint", "feedback"} and rng.random() < 0.6:
        org = rng.choice(ORGANIZATIONS)
        if not any(name in text for name in ORGANIZATIONS):
            text += f" ({org})"
    return " ".join(text.split())


# --- descriptions -------------------------------------------------------------------


def _greeting(first: str | None) -> str:
    return f"Hi {first}," if first else "Hi,"


def description(
    rng: random.Random, kind: str, team_key: str, *, customer: str | None = None
) -> str:
    """A Markdown description for a new issue; `customer` is the customer's first name."""
    f = lambda template, **extra: _fill(rng, template, team_key, **extra)  # noqa: E731
    if customer and kind in {"question", "complaint"}:
        body = {
            "question": [
                "{greeting}\n\nwe'd like to {how} {qualifier}. I couldn't find it in the "
                "help center. Is this possible, and if so, how?\n\nThanks,\n{customer}",
                "Hello support,\n\nquick question: can we {how}? Our finance team needs it "
                "before the end of the month.\n\nBest regards,\n{customer}",
                "Customer called about {topic}. They want to {how} and asked whether "
                "that affects their current plan. Promised an answer by tomorrow.",
            ],
            "complaint": [
                "{greeting}\n\nthis is the third time I'm writing about this. {component} "
                "{symptom} {condition} and nobody has come back to us. We pay for the "
                "business plan and expect better.\n\n{customer}",
                "Customer is upset: {component} {symptom} since {change}, and they lost "
                "half a day of work. They asked for a credit on the next invoice.",
                "{greeting}\n\nI was charged twice this month and the second payment still "
                "hasn't been refunded. Please fix this today.\n\nRegards,\n{customer}",
            ],
        }[kind]
        return f(
            rng.choice(body),
            greeting=rng.choice(["Hello,", "Hi there,", "Dear support team,"]),
            how=rng.choice(HOW_TO),
            qualifier=rng.choice(QUALIFIERS),
            customer=customer,
            symptom=_symptom(rng, team_key),
            change=rng.choice(CHANGES),
        )
    if kind == "bug":
        steps = rng.sample(
            [
                "Sign in as a member of a team with more than one project",
                "Open {component}",
                "Filter by last month",
                "Switch the language to German",
                "Click **Save** twice quickly",
                "Reload the page",
                "Open the same item in a second tab",
                "Attach a 20 MB PDF",
                "Go back with the browser button",
            ],
            k=rng.randint(2, 4),
        )
        text = "**Steps to reproduce**\n\n" + "\n".join(
            f"{i}. {step}" for i, step in enumerate(steps, 1)
        )
        text += (
            "\n\n**Expected:** {expected}\n\n**Actual:** {component} {symptom}.\n\n"
            "Seen {condition}.{extra}"
        )
        return f(
            text,
            symptom=_symptom(rng, team_key),
            expected=rng.choice(
                [
                    "the page loads within a second or two",
                    "the totals match the invoice",
                    "the change is saved and shown to everyone",
                    "the dates are shown in my time zone",
                    "a clear error message",
                ]
            ),
            extra=f(
                rng.choice(
                    [
                        " Console shows `{log}`.",
                        " Request id: `{hex}`.",
                        " Screenshot: ![screenshot](https://files.example.com/s/{hex}.png)",
                        " Happens roughly one time in five.",
                        " Started after the release of version {version}.",
                        "",
                    ]
                )
            ),
        )
    if kind == "question":
        return f(
            rng.choice(
                [
                    "How do we {how}? The docs describe the old screens.",
                    "A customer asked whether they can {how} {qualifier}. "
                    "Does anyone know if that is supported?",
                    "Before we promise anything: what is our policy on {topic}?",
                ]
            ),
            how=rng.choice(HOW_TO),
            qualifier=rng.choice(QUALIFIERS),
        )
    if kind == "complaint":
        return f(
            "Complaint received about {component}: {symptom} {condition}. "
            "The customer expects an answer within a day.",
            symptom=_symptom(rng, team_key),
        )
    if kind == "feedback":
        return f(
            rng.choice(
                [
                    "From the user interviews this week:\n\n- {component} is hard to find\n"
                    "- {suggestion}\n- people like the new notifications\n\n"
                    "Nothing urgent, but worth a look before the next planning.",
                    "Several customers said {suggestion}. One quote: "
                    '> "I use {component} every day and still get lost."',
                    "{org} sent a long e-mail with feedback on {component}. Summary: "
                    "{suggestion}; otherwise they are happy.",
                ]
            ),
            suggestion=rng.choice(SUGGESTIONS),
        )
    if kind == "feature":
        return f(
            "**As** one of our {who}, **I want** {feature} in {component}, **so that** "
            "I don't have to {workaround}.\n\nRequested by {org} and {n} other customers.\n\n"
            "**Acceptance criteria**\n\n- works for existing data\n- covered by the API\n"
            "- documented in the help center",
            who=rng.choice(WHO),
            feature=rng.choice(FEATURES),
            workaround=rng.choice(
                [
                    "copy everything into a spreadsheet",
                    "ask an admin every time",
                    "do it one by one",
                    "keep a second tool around",
                ]
            ),
        )
    return f(
        "{reason}\n\n- [ ] plan the change\n- [ ] {step}\n- [ ] verify on staging\n"
        "- [ ] announce in #engineering",
        reason=rng.choice(
            [
                "Follow-up from the last incident review.",
                "Needed before the audit next month.",
                "Keeps coming up in support tickets; let's finally do it.",
                "The current setup is end-of-life in three months.",
                "Small, but it saves everyone time.",
            ]
        ),
        step=rng.choice(
            [
                "update the runbook",
                "roll out to 10% first",
                "schedule a maintenance window",
                "write the migration",
                "remove the old code path",
            ]
        ),
    )


# --- comments -----------------------------------------------------------------------

# situation -> templates; {mention} marks the ones that @mention a team member.
COMMENTS: dict[str, list[str]] = {
    "more_info": [
        "Forgot to add: it also happens {condition}.",
        "Adding a screenshot: ![screenshot](https://files.example.com/s/{hex}.png)",
        "Happened again this morning, request id `{hex}`.",
        "As far as I can tell it started after {change}.",
        "Error from the console: `{log}`",
    ],
    "ack": [
        "{greeting} thanks for getting in touch. I've passed this on to the team and "
        "will update you as soon as I know more.",
        "{greeting} thank you for the report and sorry for the trouble. We're looking into it now.",
        "{greeting} thanks for your patience. I've logged this with our product team.",
    ],
    "triage": [
        "Looks like a regression from {change}. @{mention} can you take a look?",
        "@{mention} this is in your area, can you estimate it?",
        "Not a blocker, but let's get it done this sprint.",
        "Related to the {component} work from last month.",
        "Setting the priority based on {n} similar reports this week.",
        "Confirmed on staging. @{mention} FYI.",
    ],
    "work": [
        "I can reproduce it {condition}. The query behind {component} ignores the filter.",
        "Root cause: the cache key doesn't include the team id, so stale values leak "
        "between accounts.",
        "Pushed a fix to a branch, needs review. @{mention} could you have a look?",
        "Added a test that reproduces this; fix coming.",
        "Only happens {condition}. The logs show `{log}`.",
        "No errors server-side, so this is probably in the client.",
        "Pairing with @{mention} on this tomorrow.",
        "Fix is in review: !{pr}.",
        "Tried the workaround from the docs, doesn't help {condition}.",
        "Spent the morning on this. It's a race between two background jobs.",
    ],
    "work_task": [
        "Started on this; the first part is in review: !{pr}.",
        "Estimate: {n} days, most of it testing.",
        "Halfway done. @{mention} can you check the migration before I continue?",
        "Blocked on the vendor, pinged them again.",
        "Wrote down the plan in the description; comments welcome.",
        "Tested on staging, works. Rolling out to 10% first.",
        "Turns out {component} needs a change too; added it to the checklist.",
    ],
    "work_question": [
        "Checked the account: the settings for {component} were changed last week.",
        "Asked @{mention}, they'll confirm the numbers.",
        "Looked through the history; this has come up {n} times this quarter.",
        "Drafting a reply. @{mention} can you double-check it before I send it?",
        "The help center article on {component} is outdated, which explains the confusion.",
        "Escalated to billing; they usually answer within a day.",
    ],
    "ask_repro": [
        "{greeting} could you send us a screenshot and roughly when this happened? "
        "That helps us find it in our logs.",
        "{greeting} which browser and version are you using?",
        "{greeting} could you tell us the e-mail address of the affected user?",
        "{greeting} could you try signing out and in again, and let us know if it still happens?",
    ],
    "ask_info": [
        "{greeting} could you tell us a bit more about how your team would use this?",
        "{greeting} to make sure we understand: which users are affected, and since when?",
        "{greeting} could you share an example, such as a screenshot or a link to the item?",
        "{greeting} which workspace is this about? You seem to have two with us.",
    ],
    "customer_reply": [
        "The customer replied: it happens every time {condition}.",
        "Customer sent the screenshot (in the e-mail thread).",
        "Customer confirmed {n} users are affected.",
        "Customer called back: still happening, but only on their office network.",
        "Customer answered our questions; details are in the ticket history.",
    ],
    "escalate": [
        "Raising the priority: {org} is on the enterprise plan and this blocks their "
        "month-end close.",
        "{n} more customers reported this today, bumping it.",
        "@{mention} this is now urgent, can you pick it up first thing?",
    ],
    "fixed_public": [
        "{greeting} good news: we've released a fix. Could you check and let us know "
        "if everything works for you now?",
        "{greeting} this is fixed in version {version}; you may need to reload the page.",
        "{greeting} we've changed this on our side. Thanks again for reporting it!",
    ],
    "fixed": [
        "Fixed in !{pr}, deployed to production.",
        "Deployed the fix and verified it on production.",
        "Config change applied, monitoring for a day.",
        "Done. Runbook updated.",
        "Merged and released in {version}.",
    ],
    "answered": [
        "Answered the question and added it to the help center.",
        "Replied with the workaround from the help center.",
        "Explained the current behaviour; they're fine with it.",
        "Sent the instructions by e-mail, with screenshots.",
        "Credited one month on the next invoice, as agreed with @{mention}.",
    ],
    "reopen": [
        "Reopening: the customer says it's happening again since this morning.",
        "Still broken {condition}, reopening.",
        "The fix didn't cover {component}; reopening.",
    ],
    "wontfix": [
        "Thanks for the suggestion! It's not on the roadmap for now, so we're closing "
        "this; we'll revisit it at the next planning.",
        "Works as intended: the behaviour is documented in the help center.",
        "We won't change this: it would break existing integrations.",
    ],
    "close": [
        "No reply from the customer for a week, closing.",
        "Closing after confirmation from the customer.",
        "Verified in production, closing.",
    ],
    "chatter": [
        "+1, {org} reported the same.",
        "Any update on this?",
        "Seeing this too {condition}.",
        "@{mention} FYI.",
        "Linked the related support tickets.",
    ],
    "duplicate": [
        "Same problem as an earlier report, closing as a duplicate.",
        "Duplicate; let's keep the discussion in the original issue.",
    ],
}
PUBLIC_SITUATIONS = frozenset({"ack", "ask_info", "ask_repro", "fixed_public"})


def comment(
    rng: random.Random,
    situation: str,
    team_key: str,
    *,
    customer: str | None = None,
    mentions: Sequence[str] = (),
) -> str:
    """A comment for `situation` (a key of COMMENTS). Templates that @mention someone
    are used only when `mentions` (usernames of team members) is given."""
    templates = COMMENTS[situation]
    if not mentions:
        templates = [t for t in templates if "{mention}" not in t] or ["Any update on this?"]
    return _fill(
        rng,
        rng.choice(templates),
        team_key,
        greeting=_greeting(customer),
        mention=rng.choice(mentions) if mentions else "",
        change=rng.choice(CHANGES),
    )
