//! What a caller may do: the token's permissions, the tenant's licences and the throttle.

use entra_model::{Capability, Licence, Permission};
use serde_json::json;

use super::{graph_date, G};
use crate::config::TenantLicence;
use crate::server::Resp;
use crate::signins::ns;
use crate::throttle::Bucket;

impl G<'_> {
    pub(super) fn has_any(&self, perms: &[Permission]) -> bool {
        perms.iter().any(|p| self.roles.contains(*p))
    }

    fn licences(&self) -> Vec<Licence> {
        let mut v = match self.t.cfg.licence {
            TenantLicence::Free => vec![],
            TenantLicence::P1 => vec![Licence::P1],
            TenantLicence::P2 => vec![Licence::P2],
        };
        if self.t.cfg.intune {
            v.push(Licence::Intune);
        }
        v
    }

    /// Permission, then licence.
    pub(super) fn need(&self, cap: Capability) -> Result<(), Resp> {
        if !cap.requirement().is_satisfied_by(&self.roles) {
            return Err(self.denied());
        }
        if let Some(l) = cap.licence() {
            if !l.is_satisfied_by(&self.licences()) {
                return Err(if l == Licence::Intune {
                    self.err(
                        400,
                        "BadRequest",
                        "Request not applicable to target tenant.",
                    )
                } else {
                    self.err(
                        403,
                        "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
                        "Neither tenant is B2C or tenant doesn't have premium license",
                    )
                });
            }
        }
        Ok(())
    }

    pub(super) fn admit(&mut self, bucket: Bucket, cost: u32) -> Result<(), Resp> {
        if matches!(bucket, Bucket::Directory | Bucket::DirectoryWrite) {
            self.resource_units = Some(cost);
        }
        let now = ns(self.t.clock.now());
        let users = self.t.users.len();
        match self.t.throttle.admit(bucket, cost, now, users) {
            Ok(()) => Ok(()),
            Err(th) => {
                let mut r = Resp::json(
                    429,
                    json!({"error": {"code": "TooManyRequests", "message": "Please retry again later.", "innerError": {
                        "code": "429", "date": graph_date(self.t), "message": "Please retry after", "request-id": self.ctx.request_id, "status": "429",
                    }}}),
                );
                if let Some(s) = th.retry_after {
                    r = r.with_header("Retry-After", s.to_string());
                }
                let scope = match th.bucket {
                    Bucket::DirectoryWrite => "Write",
                    Bucket::Directory => "Read",
                    _ => "ReadWrite",
                };
                r = r
                    .with_header(
                        "x-ms-throttle-scope",
                        format!(
                            "Tenant_Application/{scope}/{}/{}",
                            self.appid, self.t.tenant_id
                        ),
                    )
                    .with_header(
                        "x-ms-throttle-information",
                        if th.bucket == Bucket::Directory {
                            "ResourceUnitLimitExceeded"
                        } else {
                            "CPULimitExceeded"
                        },
                    );
                Err(r)
            }
        }
    }
}
