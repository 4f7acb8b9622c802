// Package access holds who may do what: the role names, the role sets each
// surface accepts, and the area scope a token is limited to, with its one SQL
// form. It imports nothing of the project, so that auth (which resolves tokens),
// workflow (the pure case flow), store (which applies the scope in SQL) and the
// HTTP packages read the same names and rules.
package access

import "slices"

// Roles, from the most to the least powerful.
const (
	Admin       = "admin"
	Dispatcher  = "dispatcher"
	GridManager = "grid_manager"
	Planner     = "planner"
	Viewer      = "viewer"
	Reporter    = "reporter"
	// Unit is a responsible unit's staff: it sees and works its unit's tasks only.
	Unit = "unit"
	// Reviewer is the 创建办: it hands out tasks and accepts or returns them.
	Reviewer = "reviewer"
	// UnitLeader is a responsible unit's leader (分管领导): it reads what the
	// unit's staff read and approves or returns their declarations.
	UnitLeader = "unit_leader"
)

// Roles lists every role.
var Roles = []string{Admin, Dispatcher, GridManager, Planner, Viewer, Reporter, Unit, Reviewer, UnitLeader}

// ValidRole reports whether r names a role.
func ValidRole(r string) bool { return slices.Contains(Roles, r) }

// UnitRoles are the roles whose tokens act for one unit.
var UnitRoles = []string{Unit, UnitLeader}

// The role sets the routes accept (their tables name them next to each URL).
// A set is read, never changed: take a copy to build another.
var (
	// Readers read the cases and the city's data: every role but the
	// reporter (which only submits and reads back its own) and the units'
	// roles (which read their unit's work, UnitReaders).
	Readers = []string{Admin, Dispatcher, GridManager, Planner, Viewer}
	// UnitReaders read the work of the units (tasks, campaigns, declarations,
	// activities, questionnaires, bulletins): the Readers, the 创建办 and the
	// units' staff and leaders.
	UnitReaders = append(slices.Clone(Readers), Reviewer, Unit, UnitLeader)
	// Creators report cases: the command centre, grid managers in the field,
	// and reporter tokens (hotlines, partner systems).
	Creators = []string{Admin, Dispatcher, GridManager, Reporter}
	// CaseWorkers work cases and inspections in the field: the command
	// centre and, within their areas, grid managers.
	CaseWorkers = []string{Admin, Dispatcher, GridManager}
	// CaseActors take steps on cases (workflow.RoleMay says which): the case
	// workers, and a unit's staff, who ask for more time.
	CaseActors = []string{Admin, Dispatcher, GridManager, Unit}
	// PhotoUploaders store photos: the creators, and a unit's staff for
	// their declarations and tasks.
	PhotoUploaders = append(slices.Clone(Creators), Unit)
	// Submitters feed readings and Open311 requests: systems with reporter
	// tokens, and the command centre.
	Submitters = []string{Admin, Dispatcher, Reporter}
	// Editors change the map's features through the OGC API.
	Editors = []string{Admin, Dispatcher}
	// Managers hand out and judge the units' work (tasks, campaigns,
	// declarations, questionnaires, bulletins): the 创建办 and admins.
	Managers = []string{Admin, Reviewer}
	// TaskWorkers take steps on tasks: the managers and a unit's staff.
	TaskWorkers = []string{Admin, Reviewer, Unit}
	// DocumentUploaders store evidence files.
	DocumentUploaders = []string{Admin, Dispatcher, GridManager, Reviewer, Unit}
	// Preparers change a declaration's materials (while its unit holds it).
	Preparers = []string{Admin, Unit}
	// DeclarationSteppers take steps on declarations: a unit's staff submit,
	// its leader and the 创建办 review.
	DeclarationSteppers = []string{Admin, Unit, UnitLeader, Reviewer}
	// Organisers organise the campaign's activities: the managers, a unit's
	// staff (its own unit's) and grid managers (within their areas).
	Organisers = []string{Admin, Reviewer, Unit, GridManager}
	// Previewers preview bulletins before they are frozen.
	Previewers = []string{Admin, Reviewer, Planner}
	// HookOwners keep webhooks: admins and partner systems.
	HookOwners = []string{Admin, Reporter}
	// Admins is the admin alone.
	Admins = []string{Admin}
	// AnyRole is every valid token.
	AnyRole []string
)
