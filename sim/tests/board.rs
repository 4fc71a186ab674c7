//! The board bridge: the committed `board_sim` top in Verilator behind its
//! UART, as `atomik board cosim` serves it.

use atomik_hdl::designs::SIM_BOARD;
use atomik_sim::board::{BoardBridge, BoardTiming};
use atomik_sim::{Design, Model};

fn bridge() -> BoardBridge {
    let model = Model::new(Design::named("board_sim").expect("in the catalogue")).expect("model");
    let timing = BoardTiming {
        clock_hz: u64::from(SIM_BOARD.clock_hz),
        baud: u64::from(SIM_BOARD.baud),
        button_active_low: SIM_BOARD.button_active_low,
    };
    BoardBridge::new(model, timing, 0.0, 1)
}

/// Regression: `atomik board cosim --mode compat` failed about half the
/// time with "8 of 32 reply bytes" because the host's first write reached
/// the line at cycle 0, while the board was still in its power-on reset;
/// the first command was lost and a later one dropped during the table's
/// clearing sweep. The bridge now powers the board up before it returns.
#[test]
fn commands_written_as_soon_as_the_port_opens_are_all_answered() {
    let mut bridge = bridge();
    // The start of that run's first write: READ, READ, REFERENCE.
    bridge.send(b"RRD");
    let mut received = Vec::new();
    bridge.run(40 * bridge.cycles_per_byte(), &mut received);
    let bytes: Vec<u8> = received.iter().map(|&(_, b)| b).collect();
    // Context 0 of a freshly cleared table: three 8-byte zeros.
    assert_eq!(bytes, vec![0; 24]);
}
