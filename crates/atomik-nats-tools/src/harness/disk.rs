//! A small filesystem the test makes, breaks on demand, and removes.
//!
//! Layout: a `tmpfs` of `2 * size` (the "backing" store) holds a sparse
//! image of `size`, formatted ext2 and mounted through a loop device. The
//! node's data directory lives on the ext2 filesystem.
//!
//! * **full**: a filler file takes every free block of the ext2
//!   filesystem, and keeps taking every block freed later (a node that
//!   renames a new checkpoint over an old one frees the old one's blocks);
//!   the next write gets `ENOSPC`.
//! * **read-only**: the ext2 filesystem is remounted read-only; creating
//!   a file gets `EROFS`.
//! * **fsync error**: `fstrim` hands every free ext2 block back to the
//!   backing tmpfs, and a filler fills the tmpfs; both again every 100 ms,
//!   so that blocks freed later (by a rename under way) are handed back
//!   too. A write to a free block then lands in the page cache, but writing
//!   it back through the loop device fails, and `fsync` returns the error.
//!   The kernel trims a block group only once until the filesystem is
//!   mounted again, and blocks a filler once held stay backed, so this
//!   fault is dependable only on a filesystem that no earlier fault (or
//!   earlier trim) touched: use a fresh [`SmallDisk`] for it.
//!
//! [`SmallDisk::heal`] undoes any of them. Mounting needs root; without it
//! [`SmallDisk::create`] fails and says so.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context as _;

/// Which way the disk is broken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiskFault {
    /// No space left.
    Full,
    /// Mounted read-only.
    ReadOnly,
    /// Writes are accepted, `fsync` fails.
    FsyncError,
}

/// A mounted small filesystem; unmounted and removed on drop.
#[derive(Debug)]
pub struct SmallDisk {
    root: PathBuf,
    /// The thread that keeps the disk full, and its stop flag.
    keeper: Option<(Arc<AtomicBool>, std::thread::JoinHandle<()>)>,
    back: PathBuf,
    loop_dev: Option<String>,
    /// Where the filesystem is mounted: put the data directory here.
    pub mnt: PathBuf,
    mounted_back: bool,
    mounted: bool,
}

fn run(cmd: &str, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new(cmd).args(args).output().with_context(|| {
        format!("running {cmd} (disk faults need util-linux, mount and e2fsprogs: `just deps`)")
    })?;
    anyhow::ensure!(
        out.status.success(),
        "{cmd} {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr).trim()
    );
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// `errors=continue`: a failed write-back is an error for the writer, not
/// a reason to remount read-only.
const MOUNT_OPTIONS: &str = "errors=continue";

/// Whether this process runs as root (mounting needs it).
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .find(|l| l.starts_with("Uid:"))
            .and_then(|l| l.split_whitespace().nth(2))
            == Some("0")
    })
}

fn path_str(p: &Path) -> anyhow::Result<&str> {
    p.to_str()
        .with_context(|| format!("{} is not UTF-8", p.display()))
}

/// Appends to `path` until the filesystem refuses even one more byte.
fn fill(path: &Path) {
    use std::io::Write as _;
    let f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path);
    if let Ok(mut f) = f {
        for size in [64 * 1024, 4096, 1024, 1] {
            let block = vec![0xA5u8; size];
            while f.write_all(&block).is_ok() {}
        }
        let _ = f.sync_all();
    }
}

/// Runs `step` now, and again every `every` on a thread until the returned flag is set.
fn keep(
    every: Duration,
    step: impl Fn() + Send + 'static,
) -> (Arc<AtomicBool>, std::thread::JoinHandle<()>) {
    step();
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    let h = std::thread::spawn(move || {
        while !s.load(Ordering::Acquire) {
            std::thread::sleep(every);
            step();
        }
    });
    (stop, h)
}

impl SmallDisk {
    /// Makes and mounts a `size_mib` ext2 filesystem under `dir`.
    pub fn create(dir: &Path, size_mib: u64) -> anyhow::Result<SmallDisk> {
        anyhow::ensure!(
            is_root(),
            "disk faults mount a small filesystem, which needs root (run as root, or leave out the disk-* faults)"
        );
        let root = dir.to_owned();
        let mut d = SmallDisk {
            keeper: None,
            back: root.join("back"),
            mnt: root.join("mnt"),
            root,
            loop_dev: None,
            mounted_back: false,
            mounted: false,
        };
        std::fs::create_dir_all(&d.back)?;
        std::fs::create_dir_all(&d.mnt)?;
        let back = path_str(&d.back)?.to_owned();
        run(
            "mount",
            &[
                "-t",
                "tmpfs",
                "-o",
                &format!("size={}m", 2 * size_mib),
                "tmpfs",
                &back,
            ],
        )?;
        d.mounted_back = true;
        let img = d.back.join("disk.img");
        let img_s = path_str(&img)?.to_owned();
        std::fs::File::create(&img)?.set_len(size_mib << 20)?;
        // Blocks of one page: a trimmed block is then a whole page the tmpfs gives back.
        run("mkfs.ext2", &["-q", "-F", "-b", "4096", &img_s])?;
        let dev = run("losetup", &["-f", "--show", &img_s])?;
        d.loop_dev = Some(dev.clone());
        run(
            "mount",
            &["-t", "ext2", "-o", MOUNT_OPTIONS, &dev, path_str(&d.mnt)?],
        )?;
        d.mounted = true;
        Ok(d)
    }

    /// Breaks the disk in one way, until [`SmallDisk::heal`].
    pub fn break_it(&mut self, fault: DiskFault) -> anyhow::Result<()> {
        match fault {
            DiskFault::Full => {
                let filler = self.mnt.join("filler");
                self.keeper = Some(keep(Duration::from_millis(5), move || fill(&filler)));
            }
            DiskFault::ReadOnly => {
                // A file open for writing makes the remount fail with EBUSY
                // for a moment; the node writes a checkpoint every few ms.
                let mnt = path_str(&self.mnt)?;
                let mut last = Ok(String::new());
                for _ in 0..100 {
                    last = run("mount", &["-o", "remount,ro", mnt]);
                    if last.is_ok() {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                last?;
            }
            DiskFault::FsyncError => {
                // A rename under way frees blocks that are still backed;
                // trimming again hands them back too.
                let (mnt, filler) = (path_str(&self.mnt)?.to_owned(), self.back.join("filler"));
                run("fstrim", &[&mnt])?;
                self.keeper = Some(keep(Duration::from_millis(100), move || {
                    let _ = run("fstrim", &[&mnt]);
                    fill(&filler);
                }));
            }
        }
        Ok(())
    }

    /// Undoes every fault: read-write again, fillers removed.
    pub fn heal(&mut self) -> anyhow::Result<()> {
        if let Some((stop, h)) = self.keeper.take() {
            stop.store(true, Ordering::Release);
            let _ = h.join();
        }
        run("mount", &["-o", "remount,rw", path_str(&self.mnt)?])?;
        for f in [self.mnt.join("filler"), self.back.join("filler")] {
            match std::fs::remove_file(&f) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e).with_context(|| format!("removing {}", f.display())),
            }
        }
        Ok(())
    }
}

impl SmallDisk {
    /// Unmounts and mounts the filesystem again, so that what is read next
    /// comes from the device, not the page cache. Nothing may have a file
    /// open on it.
    pub fn remount(&mut self) -> anyhow::Result<()> {
        let mnt = path_str(&self.mnt)?.to_owned();
        let dev = self.loop_dev.clone().context("no loop device")?;
        run("umount", &[&mnt])?;
        self.mounted = false;
        run("mount", &["-t", "ext2", "-o", MOUNT_OPTIONS, &dev, &mnt])?;
        self.mounted = true;
        Ok(())
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        if let Some((stop, h)) = self.keeper.take() {
            stop.store(true, Ordering::Release);
            let _ = h.join();
        }
        let mnt = self.mnt.to_string_lossy().into_owned();
        if self.mounted {
            let _ = run("umount", &["-l", &mnt]);
        }
        if let Some(dev) = &self.loop_dev {
            let _ = run("losetup", &["-d", dev]);
        }
        if self.mounted_back {
            let _ = run("umount", &["-l", &self.back.to_string_lossy()]);
        }
        let _ = std::fs::remove_dir_all(&self.root);
    }
}
