//! Parsed keys per project, kept between requests. Parsing an RSA private key (and the first
//! signature with it) costs about as much as a signature, so the hub parses each project's keys
//! once, and again only when the project's key material changes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use linker_aplus::{PublicKey, Signer};

use crate::Hub;
use crate::error::HubError;
use crate::project::Project;

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
