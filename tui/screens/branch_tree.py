"""The branch tree (ctrl+t on the main screen, g in replay): every branch of every turn, nested.

Loom-style exploration: each turn is a node, its answers under it and each fork under the branch
it forks from, labelled with where it forks (position, the token it replaced and the one it
forced, with that token's probability), its mean logprob and its text (tui/branch_tree_model.py).
↑↓ move, ← collapses (or goes up to the parent), → expands (or goes down to the first child),
Enter dismisses with (turn, branch, cursor position) so the screen below opens that branch with
the token cursor at its fork; Esc goes back with None. The screen changes nothing itself, so
replay opens it as it is: opening a branch there only switches which one the transcript shows.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static, Tree
from textual.widgets.tree import TreeNode

from ..branch_tree_model import BranchNode, branch_label, branch_tree, turn_label
from ..conversation import Conversation
from .host import TokenHost
from .navigation import set_cursor

Target = tuple[int, int, int]  # (turn, branch, token position)


class BranchTreeView(Tree[Target | None]):
    """A Tree whose labels are plain text (user and model text is never markup), with the arrows
    ← → collapsing and expanding, and Enter selecting without toggling."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "collapse_or_parent", "Collapse", id="branch_tree_collapse", show=False),
        Binding("right", "expand_or_child", "Expand", id="branch_tree_expand", show=False),
    ]

    def process_label(self, label: str | Text) -> Text:
        return Text(label) if isinstance(label, str) else label

    def action_collapse_or_parent(self) -> None:
        node = self.cursor_node
        if node is None:
            return
        if node.is_expanded and node.children:
            node.collapse()
        elif node.parent is not None and node.parent is not self.root:
            self.move_cursor(node.parent)

    def action_expand_or_child(self) -> None:
        node = self.cursor_node
        if node is None or not node.children:
            return
        if not node.is_expanded:
            node.expand()
        else:
            self.move_cursor(node.children[0])


class BranchTreeScreen(Screen[Target | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back", id="branch_tree_close"),
    ]

    def __init__(self, conversation: Conversation, turn_offset: int = 0, read_only: bool = False,
                 focus_turn: int | None = None) -> None:
        super().__init__()
        self.conversation = conversation
        self.turn_offset = turn_offset  # turns of the session before the first one here (replay pages)
        self.read_only = read_only
        self.focus_turn = focus_turn  # the turn whose active branch the cursor starts on

    def compose(self) -> ComposeResult:
        tree = BranchTreeView(Text("conversation"), id="branch-tree")
        tree.show_root = False
        tree.auto_expand = False
        yield tree
        where = "replay, read-only: Enter shows that branch" if self.read_only else "Enter opens the branch"
        yield Static(Content(f" ↑↓ move · ←→ collapse/expand · {where} · Esc back"), id="branch-tree-help")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        tree = self.query_one(BranchTreeView)
        tree.root.expand()
        start: TreeNode[Target | None] | None = None
        for node in branch_tree(self.conversation):
            turn_node = tree.root.add(turn_label(node, self.turn_offset + node.turn + 1), data=None, expand=True)
            for root in node.roots:
                found = self._add(turn_node, root)
                if node.turn == self.focus_turn and found is not None:
                    start = found
        tree.focus()
        if start is not None:  # once the tree has laid out its lines
            self.call_after_refresh(tree.move_cursor, start)

    def _add(self, parent: TreeNode[Target | None], node: BranchNode) -> TreeNode[Target | None] | None:
        """Add `node` and its forks; returns the tree node of the active branch among them."""
        data = (node.turn, node.branch, node.cursor)
        label = branch_label(node)
        item = parent.add(label, data=data, expand=True) if node.children else parent.add_leaf(label, data=data)
        active = item if node.active else None
        for child in node.children:
            active = self._add(item, child) or active
        return active

    @on(Tree.NodeSelected)
    def open_branch(self, event: Tree.NodeSelected[Target | None]) -> None:
        event.stop()
        if event.node.data is not None:
            self.dismiss(event.node.data)
        else:
            event.node.toggle()

    def action_close(self) -> None:
        self.dismiss(None)


def show_branch(host: TokenHost, target: Target) -> None:
    """Make the target's branch its turn's active one and put the token cursor at its fork."""
    turn_index, branch, position = target
    turns = host.chat.conversation.turns
    if not 0 <= turn_index < len(turns) or not 0 <= branch < len(turns[turn_index].branches):
        return
    turns[turn_index].active = branch
    steps = turns[turn_index].branches[branch].steps
    if steps:
        set_cursor(host, turn_index, max(0, min(position, len(steps) - 1)))
    else:
        host.render_turn(turn_index)
