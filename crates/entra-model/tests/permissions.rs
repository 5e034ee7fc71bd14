//! The permission catalogue.

use entra_model::*;

#[test]
fn every_permission_prints_and_parses_its_exact_graph_name() {
    for &p in Permission::ALL {
        assert_eq!(p.as_str().parse::<Permission>(), Ok(p));
        assert_eq!(p.to_string(), p.as_str());
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<Permission>(&json).unwrap(), p);
    }
    assert_eq!("AuditLog.Read.All".parse(), Ok(Permission::AuditLogReadAll));
    assert_eq!(
        "auditlog.read.all".parse::<Permission>(),
        Err(UnknownPermission("auditlog.read.all".into())),
        "Graph names are exact"
    );
    for name in [
        "Application.Read.All",
        "User.RevokeSessions.All",
        "Policy.Read.ConditionalAccess",
        "User.ManageIdentities.All",
        "IdentityRiskyUser.Read.All",
        "DeviceManagementManagedDevices.Read.All",
        "DeviceManagementManagedDevices.ReadWrite.All",
        "RoleManagement.ReadWrite.Directory",
        "UserAuthenticationMethod.ReadWrite.All",
        "Member.Read.Hidden",
    ] {
        assert!(
            name.parse::<Permission>().is_ok(),
            "{name} is in the catalogue"
        );
    }
}

#[test]
fn permissions_know_their_access_licence_and_capabilities() {
    assert_eq!(Permission::UserReadWriteAll.access(), Access::Write);
    assert_eq!(Permission::UserRevokeSessionsAll.access(), Access::Write);
    assert_eq!(Permission::AuditLogReadAll.access(), Access::Read);
    assert_eq!(
        Permission::IdentityRiskyUserReadAll.licence(),
        Some(Licence::P2)
    );
    assert_eq!(
        Permission::DeviceManagementManagedDevicesReadAll.licence(),
        Some(Licence::Intune)
    );
    assert_eq!(Permission::UserReadAll.licence(), None);
    let caps = Permission::AuditLogReadAll.capabilities();
    for c in [
        Capability::SignIns,
        Capability::NonInteractiveSignIns,
        Capability::DirectoryAudits,
        Capability::SignInActivity,
        Capability::RegistrationDetails,
    ] {
        assert!(caps.contains(&c), "{c}");
    }
    assert!(!caps.contains(&Capability::RiskyUsers));
    for &c in Capability::ALL {
        assert!(!c.requirement().clauses.is_empty(), "{c} has a requirement");
    }
    assert_eq!(Capability::RiskyUsers.licence(), Some(Licence::P2));
    assert_eq!(Capability::Users.licence(), None);
    assert!(
        Licence::P1.is_satisfied_by(&[Licence::P2]),
        "P2 includes P1"
    );
    assert!(!Licence::P2.is_satisfied_by(&[Licence::P1]));
}

#[test]
fn permission_set_keeps_unknown_roles_and_checks_capabilities() {
    let set = PermissionSet::from_roles(["User.Read.All", "AuditLog.Read.All", "Sites.Read.All"]);
    assert!(set.contains(Permission::UserReadAll));
    assert_eq!(set.unknown().collect::<Vec<_>>(), ["Sites.Read.All"]);
    assert!(set.allows(Capability::SignInActivity));
    assert!(!set.allows(Capability::GroupsAndMembers));
    let json = serde_json::to_value(&set).unwrap();
    let back: PermissionSet = serde_json::from_value(json).unwrap();
    assert_eq!(back, set);
    assert!(PermissionSet::new().is_empty());
}

fn availability(roles: &[&str], action: RemediationAction) -> ActionAvailability {
    PermissionSet::from_roles(roles)
        .evaluate_actions()
        .into_iter()
        .find(|a| a.action == action)
        .unwrap()
}

#[test]
fn log_out_accepts_any_of_its_three_permissions() {
    for write in [
        "User.RevokeSessions.All",
        "User.ReadWrite.All",
        "Directory.ReadWrite.All",
    ] {
        let roles = ["User.Read.All", write];
        assert!(
            availability(&roles, RemediationAction::LogOut).is_allowed(),
            "{write}"
        );
    }
    let a = availability(&["User.Read.All"], RemediationAction::LogOut);
    assert!(!a.is_allowed());
    assert_eq!(
        a.missing[0].to_string(),
        "POST /users/{id}/revokeSignInSessions needs User.RevokeSessions.All, User.ReadWrite.All or Directory.ReadWrite.All"
    );
}

#[test]
fn reset_mfa_needs_to_list_and_to_delete_methods() {
    let a = availability(
        &["User.Read.All", "UserAuthenticationMethod.Read.All"],
        RemediationAction::ResetMfa,
    );
    assert_eq!(a.missing.len(), 1);
    assert!(a.missing[0].call.starts_with("DELETE"));
    let a = availability(
        &["User.Read.All", "UserAuthenticationMethod.ReadWrite.All"],
        RemediationAction::ResetMfa,
    );
    assert!(a.is_allowed(), "ReadWrite also lists");
}

#[test]
fn delete_guest_needs_user_read_write_and_nothing_grants_a_read_only_app_an_action() {
    let read_only = PermissionSet::from_roles(["Directory.Read.All", "AuditLog.Read.All"]);
    assert!(read_only.evaluate_actions().iter().all(|a| !a.is_allowed()));
    assert!(availability(
        &["Directory.ReadWrite.All"],
        RemediationAction::UpdateUserType
    )
    .is_allowed());
    assert!(!availability(
        &["Directory.ReadWrite.All"],
        RemediationAction::DeleteGuestUser
    )
    .is_allowed());
    assert!(availability(&["User.ReadWrite.All"], RemediationAction::DeleteGuestUser).is_allowed());
}

#[test]
fn recommended_sets_match_the_setup_guide_and_satisfy_their_actions() {
    use Permission as P;
    assert_eq!(
        RemediationAction::UpdateUserType.recommended_permissions(),
        [P::UserReadWriteAll]
    );
    assert_eq!(
        RemediationAction::DeleteGuestUser.recommended_permissions(),
        [P::UserReadWriteAll]
    );
    assert_eq!(
        RemediationAction::ResetMfa.recommended_permissions(),
        [P::UserAuthenticationMethodReadWriteAll]
    );
    for &action in RemediationAction::ALL {
        let mut set = PermissionSet::from_roles(["User.Read.All"]);
        for &p in action.recommended_permissions() {
            set.insert(p);
        }
        assert!(action.requirement().is_satisfied_by(&set), "{action}");
    }
}

#[test]
fn privileged_target_reads_name_least_privileged_permissions_first() {
    let req = Requirement::PRIVILEGED_TARGET;
    let calls: Vec<&str> = req.clauses.iter().map(|c| c.call).collect();
    assert_eq!(
        calls,
        [
            "GET /users/{id}/transitiveMemberOf",
            "GET /roleManagement/directory/roleAssignments",
            "GET /roleManagement/directory/roleEligibilityScheduleInstances"
        ]
    );
    assert_eq!(
        req.clauses[2].any_of[0],
        Permission::RoleEligibilityScheduleReadDirectory
    );
    assert_eq!(
        req.clauses[1].any_of[0],
        Permission::RoleManagementReadDirectory
    );
    // Directory.Read.All reads assignments but not eligibilities.
    let directory = PermissionSet::from_roles(["Directory.Read.All"]);
    let missing = req.missing(&directory);
    assert_eq!(missing.len(), 1);
    assert_eq!(
        missing[0].to_string(),
        "GET /roleManagement/directory/roleEligibilityScheduleInstances needs RoleEligibilitySchedule.Read.Directory, RoleManagement.Read.Directory, RoleManagement.Read.All, RoleEligibilitySchedule.ReadWrite.Directory or RoleManagement.ReadWrite.Directory"
    );
    let least = PermissionSet::from_roles(["User.Read.All", "RoleManagement.Read.Directory"]);
    assert!(req.is_satisfied_by(&least));
    assert_eq!(
        Permission::RoleEligibilityScheduleReadDirectory.licence(),
        Some(Licence::P2)
    );
}

fn capability(roles: &[&str], capability: Capability) -> bool {
    PermissionSet::from_roles(roles).allows(capability)
}

#[test]
fn directory_audits_need_audit_log_and_directory_read_together() {
    // directoryaudit-list.md: "AuditLog.Read.All and Directory.Read.All", nothing higher.
    assert!(!capability(
        &["AuditLog.Read.All"],
        Capability::DirectoryAudits
    ));
    assert!(!capability(
        &["Directory.Read.All"],
        Capability::DirectoryAudits
    ));
    assert!(!capability(
        &["AuditLog.Read.All", "Directory.ReadWrite.All"],
        Capability::DirectoryAudits
    ));
    assert!(capability(
        &["AuditLog.Read.All", "Directory.Read.All"],
        Capability::DirectoryAudits
    ));
    let missing = Capability::DirectoryAudits
        .requirement()
        .missing(&PermissionSet::from_roles(["AuditLog.Read.All"]));
    assert_eq!(
        missing[0].to_string(),
        "GET /auditLogs/directoryAudits needs Directory.Read.All"
    );
}

#[test]
fn registration_details_take_audit_log_or_authentication_method_read_but_not_read_write() {
    // authenticationmethodsroot-list-userregistrationdetails.md: least AuditLog.Read.All,
    // higher UserAuthenticationMethod.Read.All.
    let clause = Capability::RegistrationDetails.requirement().clauses[0];
    assert_eq!(
        clause.any_of,
        [
            Permission::AuditLogReadAll,
            Permission::UserAuthenticationMethodReadAll
        ]
    );
    assert!(!capability(
        &["UserAuthenticationMethod.ReadWrite.All"],
        Capability::RegistrationDetails
    ));
}

#[test]
fn sign_ins_take_audit_log_first_then_directory_read_as_their_table_lists() {
    for c in [Capability::SignIns, Capability::NonInteractiveSignIns] {
        assert_eq!(
            c.requirement().clauses[0].any_of,
            [Permission::AuditLogReadAll, Permission::DirectoryReadAll],
            "{c}"
        );
    }
}

#[test]
fn applications_and_service_principals_are_two_calls_without_directory_read_write() {
    let req = Capability::Applications.requirement();
    let calls: Vec<&str> = req.clauses.iter().map(|c| c.call).collect();
    assert_eq!(calls, ["GET /applications", "GET /servicePrincipals"]);
    assert!(!capability(
        &["Directory.ReadWrite.All"],
        Capability::Applications
    ));
    assert!(capability(
        &["Application.Read.All"],
        Capability::Applications
    ));
    assert_eq!(req.clauses[0].any_of[0], Permission::ApplicationReadAll);
}

#[test]
fn directory_roles_groups_and_devices_accept_every_permission_of_their_tables() {
    assert!(capability(
        &["RoleManagement.ReadWrite.Directory"],
        Capability::DirectoryRoles
    ));
    assert!(capability(
        &["Group.ReadWrite.All"],
        Capability::GroupsAndMembers
    ));
    assert!(capability(
        &["DeviceManagementManagedDevices.ReadWrite.All"],
        Capability::ManagedDevices
    ));
    assert_eq!(
        Capability::GroupsAndMembers.requirement().clauses[0].call,
        "GET /groups/delta",
        "the groups stream reads groups/delta"
    );
    assert_eq!(
        Capability::Users.requirement().clauses[0].call,
        "GET /users/delta"
    );
}

#[test]
fn log_out_recommends_the_least_privileged_revoke_sessions_permission() {
    // user-revokesigninsessions.md: least privileged User.RevokeSessions.All.
    assert_eq!(
        RemediationAction::LogOut.recommended_permissions(),
        [Permission::UserRevokeSessionsAll]
    );
    let clause = RemediationAction::LogOut.requirement().clauses[1];
    assert_eq!(clause.any_of[0], Permission::UserRevokeSessionsAll);
}

#[test]
fn every_catalogue_entry_cites_its_graph_doc_page() {
    let clauses = Capability::ALL
        .iter()
        .flat_map(|c| c.requirement().clauses.iter())
        .chain(
            RemediationAction::ALL
                .iter()
                .flat_map(|a| a.requirement().clauses.iter()),
        );
    let mut n = 0;
    for clause in clauses {
        n += 1;
        let doc = clause.doc;
        assert!(
            (doc.starts_with("api-reference/v1.0/api/")
                || doc.starts_with("api-reference/beta/api/"))
                && doc.ends_with(".md")
                && !doc.contains(' '),
            "{} cites {doc:?}",
            clause.call
        );
        assert!(!clause.any_of.is_empty(), "{}", clause.call);
    }
    assert!(n >= Capability::ALL.len() + RemediationAction::ALL.len());
}
