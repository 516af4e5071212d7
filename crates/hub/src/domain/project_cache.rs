//! What the hub caches between requests: each project's parsed keys, and projects by Client-Id.
//! Parsing an RSA private key (and the first signature with it) costs about as much as a
//! signature, so the hub parses each project's keys once, and again only when the project's key
//! material changes. Projects are kept by Client-Id (every gateway call names one), and forgotten
//! whenever a project is written.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use linker_aplus::{PublicKey, Signer};

use crate::Hub;
use crate::domain::projects::Project;
use crate::error::HubError;

/// A project's keys, parsed.
#[derive(Debug)]
pub struct ProjectKeys {
    /// Signs the hub's answers and callbacks for the project.
    pub signer: Signer,
    /// Verifies the ACQP's requests and replies.
    pub acqp: PublicKey,
}

/// The cache: project id → (the key texts it was parsed from, its keys).
#[derive(Debug, Default)]
pub struct KeyCache(Mutex<HashMap<String, (String, Arc<ProjectKeys>)>>);

impl Hub {
    /// The project's parsed keys, from the cache while its key texts are unchanged.
    pub fn project_keys(&self, project: &Project) -> Result<Arc<ProjectKeys>, HubError> {
        let version = format!("{}\n{}", project.hub_private_key, project.acqp_public_key);
        {
            let cache = self.keys.0.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((seen, keys)) = cache.get(&project.id)
                && *seen == version
            {
                return Ok(Arc::clone(keys));
            }
        }
        let keys = Arc::new(ProjectKeys {
            signer: Signer::new(project.client_id.clone(), project.hub_key()?),
            acqp: project.acqp_key()?,
        });
        self.keys
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(project.id.clone(), (version, Arc::clone(&keys)));
        Ok(keys)
    }
}

/// Projects by Client-Id, kept between gateway calls (every call names its project), and
/// forgotten whenever any project is written.
#[derive(Debug, Default)]
pub struct ProjectCache(Mutex<ProjectCacheInner>);

#[derive(Debug, Default)]
struct ProjectCacheInner {
    /// Bumped by every write, so a read that raced a write does not store a stale project.
    generation: u64,
    by_client_id: HashMap<String, Arc<Project>>,
}

impl ProjectCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, ProjectCacheInner> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The cached project and the generation to store a fresh read under.
    pub(crate) fn get(&self, client_id: &str) -> (Option<Arc<Project>>, u64) {
        let inner = self.lock();
        (inner.by_client_id.get(client_id).cloned(), inner.generation)
    }

    /// Keeps a project read at `generation`, unless a write happened since.
    pub(crate) fn put(&self, generation: u64, project: Arc<Project>) {
        let mut inner = self.lock();
        if inner.generation == generation {
            inner
                .by_client_id
                .insert(project.client_id.clone(), project);
        }
    }

    /// Forgets every project: call after writing one.
    pub(crate) fn forget(&self) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.by_client_id.clear();
    }
}
