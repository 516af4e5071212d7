//! Assignments: which cases each merchant must run. Until a TSP edits them, a merchant's cases
//! are the defaults of its products (every case of each product it tests, plus the cases for any
//! product); an edited list replaces them. The wallet's case list and the console's Test Data
//! follow [`Hub::assigned_cases`], and a run of a case that is not assigned is refused.

use linker_cases::CaseDef;

use crate::Hub;
use crate::domain::merchants::Merchant;
use crate::domain::runs::catalogue;
use crate::error::HubError;
use crate::store::StoreError;

/// The product name of a case as merchants list them (`UPM`, `ORDER_CODE`, ..., `ANY`).
pub fn case_product(case: &CaseDef) -> String {
    serde_json::to_value(case.product)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The cases a merchant with these products runs by default, in catalogue order.
pub fn default_cases(products: &[String]) -> Result<Vec<&'static CaseDef>, HubError> {
    Ok(catalogue()?
        .cases()
        .iter()
        .filter(|case| {
            let product = case_product(case);
            product == "ANY" || products.contains(&product)
        })
        .collect())
}

/// A merchant's assigned cases, as the admin API shows them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Assignment {
    /// The merchant (`mer_...`).
    pub merchant_id: String,
    /// True when the list was edited; false when it is the default for the merchant's products.
    pub custom: bool,
    /// The case ids, in catalogue order.
    pub case_ids: Vec<String>,
}

impl Hub {
    /// A project merchant's assignment (another project's merchant is not found).
    pub fn assignment(&self, project_id: &str, merchant_id: &str) -> Result<Assignment, HubError> {
        let merchant = self.merchant(merchant_id)?;
        if merchant.project_id != project_id {
            return Err(HubError::NotFound(format!("merchant {merchant_id}")));
        }
        Ok(Assignment {
            custom: self.custom_assignment(merchant_id)?.is_some(),
            case_ids: self
                .assigned_cases(&merchant)?
                .iter()
                .map(|case| case.id.clone())
                .collect(),
            merchant_id: merchant.id,
        })
    }

    /// The case ids assigned to a merchant by hand, if its list was edited.
    pub fn custom_assignment(&self, merchant_id: &str) -> Result<Option<Vec<String>>, HubError> {
        Ok(self.store.db(|db| db.assignments().case_ids(merchant_id))?)
    }

    /// The cases a merchant must run, in catalogue order.
    pub fn assigned_cases(&self, merchant: &Merchant) -> Result<Vec<&'static CaseDef>, HubError> {
        match self.custom_assignment(&merchant.id)? {
            None => default_cases(&merchant.products),
            Some(ids) => Ok(catalogue()?
                .cases()
                .iter()
                .filter(|case| ids.contains(&case.id))
                .collect()),
        }
    }

    /// Replaces the cases of several merchants of a project at once (`None`: back to the
    /// defaults of their products). Every case id is checked before anything is written.
    pub fn assign_cases(
        &self,
        project_id: &str,
        merchant_ids: &[String],
        case_ids: Option<&[String]>,
    ) -> Result<(), HubError> {
        if merchant_ids.is_empty() {
            return Err(HubError::invalid(
                "merchants",
                "choose at least one merchant",
            ));
        }
        for id in merchant_ids {
            let merchant = self.merchant(id)?;
            if merchant.project_id != project_id {
                return Err(HubError::NotFound(format!("merchant {id}")));
            }
        }
        let catalogue = catalogue()?;
        if let Some(ids) = case_ids {
            for id in ids {
                if catalogue.case(id).is_none() {
                    return Err(HubError::invalid("cases", format!("{id} is not a case")));
                }
            }
        }
        let now = self.clock.now();
        self.store.transaction(|db| {
            let assignments = db.assignments();
            for id in merchant_ids {
                match case_ids {
                    None => assignments.clear(id)?,
                    Some(list) => assignments.set(id, list, now)?,
                }
            }
            Ok::<_, StoreError>(())
        })?;
        Ok(())
    }
}
