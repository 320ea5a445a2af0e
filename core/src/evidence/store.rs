//! Normalized photos at rest: one sealed file per content hash (AES-256-GCM, fresh nonce,
//! bound to the hash) in a folder beside the database. Writes are atomic: a temporary file,
//! fsync, rename, fsync of the folder; a crash leaves either the old state or the whole blob.
use std::collections::HashSet;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use zeroize::Zeroizing;

use super::{hex, sha256};
use crate::crypt::{random_bytes, Cell, Cipher};
use crate::error::{Error, ErrorCode, Result};

const BLOB: &str = "blob";
const TEMP: &str = "tmp";

pub struct BlobStore {
    dir: PathBuf,
    cipher: Arc<Cipher>,
}

fn cell(sha256_hex: &str) -> Cell<'_> {
    Cell::new("evidence", "jpeg", sha256_hex)
}

/// Only a lowercase hex SHA-256 names a blob: nothing else reaches the file system.
fn check_name(sha256_hex: &str) -> Result<()> {
    if crate::hex::is_sha256_name(sha256_hex) {
        Ok(())
    } else {
        Err(Error::invalid("evidence", ErrorCode::EvidenceNotFound))
    }
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)?.sync_all()?;
    Ok(())
}

impl BlobStore {
    /// Opens (creating) the folder and removes temporary files a crash left behind.
    pub fn open(dir: impl Into<PathBuf>, cipher: Arc<Cipher>) -> Result<BlobStore> {
        let dir = dir.into();
        fs::create_dir_all(&dir)?;
        for entry in fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == TEMP) {
                fs::remove_file(&path)?;
            }
        }
        Ok(BlobStore { dir, cipher })
    }

    fn path(&self, sha256_hex: &str) -> PathBuf {
        self.dir.join(format!("{sha256_hex}.{BLOB}"))
    }

    /// Stores a normalized JPEG; returns its hex SHA-256. Storing the same bytes again is a
    /// no-op.
    pub fn put(&self, jpeg: &[u8]) -> Result<String> {
        let name = hex(&sha256(jpeg));
        let path = self.path(&name);
        if path.exists() {
            return Ok(name);
        }
        let sealed = self.cipher.seal(cell(&name), jpeg)?;
        let mut suffix = [0u8; 8];
        random_bytes(&mut suffix)?;
        let temp = self.dir.join(format!("{name}.{}.{TEMP}", hex(&suffix)));
        let written = (|| -> Result<()> {
            let mut file = File::create(&temp)?;
            file.write_all(&sealed)?;
            file.sync_all()?;
            fs::rename(&temp, &path)?;
            sync_dir(&self.dir)
        })();
        if written.is_err() {
            let _ = fs::remove_file(&temp);
        }
        written.map(|()| name)
    }

    pub fn contains(&self, sha256_hex: &str) -> bool {
        check_name(sha256_hex).is_ok() && self.path(sha256_hex).exists()
    }

    /// The JPEG, decrypted and checked against its hash.
    pub fn get(&self, sha256_hex: &str) -> Result<Zeroizing<Vec<u8>>> {
        check_name(sha256_hex)?;
        let sealed = match fs::read(self.path(sha256_hex)) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::invalid("evidence", ErrorCode::EvidenceNotFound))
            }
            Err(e) => return Err(e.into()),
        };
        let jpeg = self.cipher.open(cell(sha256_hex), &sealed)?;
        if hex(&sha256(&jpeg)) != sha256_hex {
            return Err(Error::Corrupt("evidence blob"));
        }
        Ok(jpeg)
    }

    pub fn remove(&self, sha256_hex: &str) -> Result<()> {
        check_name(sha256_hex)?;
        match fs::remove_file(self.path(sha256_hex)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => sync_dir(&self.dir),
        }
    }

    /// Every stored blob, by hex SHA-256.
    pub fn list(&self) -> Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in fs::read_dir(&self.dir)? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == BLOB) {
                if let Some(stem) = path.file_stem().and_then(|s| s.to_str()) {
                    if check_name(stem).is_ok() {
                        names.push(stem.to_owned());
                    }
                }
            }
        }
        names.sort();
        Ok(names)
    }

    /// Removes blobs no record refers to any more; returns how many.
    pub fn remove_orphans(&self, referenced: &HashSet<String>) -> Result<usize> {
        let mut removed = 0;
        for name in self.list()? {
            if !referenced.contains(&name) {
                fs::remove_file(self.path(&name))?;
                removed += 1;
            }
        }
        if removed > 0 {
            sync_dir(&self.dir)?;
        }
        Ok(removed)
    }
}
