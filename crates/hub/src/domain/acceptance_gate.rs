//! TEMPORARY (issue 16, authz branch): whether a project's sandbox acceptance has passed, and
//! with which products, as generating an ACQP authorization URL needs it. Every call to the gate
//! goes through [`Hub::acceptance_passed_products`]; until the acceptance branch is merged it
//! answers every catalogue product for every project, and at merge it is replaced by one backed
//! by `Hub::acceptance`.

use crate::Hub;
use crate::error::HubError;

impl Hub {
    /// `Some(products)` when the project's sandbox acceptance has passed (the products it passed
    /// with, which may be authorized), `None` while it has not.
    pub fn acceptance_passed_products(
        &self,
        project_id: &str,
    ) -> Result<Option<Vec<String>>, HubError> {
        self.project(project_id)?;
        Ok(Some(
            linker_cases::Product::ALL
                .iter()
                .filter(|product| **product != linker_cases::Product::Any)
                .map(|product| product.code().to_owned())
                .collect(),
        ))
    }
}
