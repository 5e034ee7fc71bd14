//! Snapshot streams: every page read and stored each run, then what the run did not see is
//! removed; and the directory roles with their members.

use entra_model::{DirectoryObject, DirectoryRole, Raw};
use futures::TryStreamExt;
use graph_client::{GraphRequest, Lenient, PageStream};
use serde::de::DeserializeOwned;

use oort_store::{Batch, SnapshotScope};

use super::report::{Progress, StreamReport};
use super::streams::StreamSpec;
use super::{Collector, StreamError};

impl Collector {
    /// A snapshot stream: every page stored, then what was not seen in `reconcile` is removed
    /// (`None`: the pages update what other streams stored, nothing is removed).
    pub(super) async fn snapshot<T>(
        &self,
        spec: &StreamSpec,
        batch: fn(Vec<Raw<T>>) -> Batch,
        reconcile: Option<&SnapshotScope>,
        report: &mut StreamReport,
    ) -> Result<(), StreamError>
    where
        T: DeserializeOwned + Send + 'static,
    {
        let started = self.clock.now();
        let mut stream: PageStream<Lenient<Raw<T>>> = self
            .client
            .pages(spec.request(self.config.page_size))
            .max_pages(self.config.max_pages);
        while let Some(page) = stream.try_next().await? {
            let items = page.items.len();
            let summary = self
                .store_page(spec.kind, batch, page.items, None, report)
                .await?;
            report.count_page(summary);
            self.emit(Progress::PageStored {
                stream: spec.kind,
                items,
                summary,
            });
        }
        if let Some(scope) = reconcile {
            report.removed += self
                .store
                .finish_snapshot(self.ctx(), scope.clone(), started)
                .await?;
        }
        Ok(())
    }

    /// The directory roles, then each role's members (`member_select`), each role stored with
    /// its members; roles and memberships the run did not see are deleted.
    pub(super) async fn role_members(
        &self,
        spec: &StreamSpec,
        member_select: &[&str],
        report: &mut StreamReport,
    ) -> Result<(), StreamError> {
        let started = self.clock.now();
        let roles: Vec<Raw<DirectoryRole>> = self
            .client
            .items(spec.request(self.config.page_size))
            .try_collect()
            .await?;
        for role in roles {
            let members: Vec<DirectoryObject> = self
                .client
                .items(
                    GraphRequest::get(format!("{}/{}/members", spec.path, role.value().id))
                        .version(spec.version)
                        .select(member_select),
                )
                .try_collect()
                .await?;
            let summary = self
                .store
                .write(self.ctx(), Batch::RoleMembers { role, members }, None)
                .await?;
            report.count_page(summary);
        }
        report.removed += self
            .store
            .finish_snapshot(self.ctx(), SnapshotScope::RoleMembers, started)
            .await?;
        Ok(())
    }
}
