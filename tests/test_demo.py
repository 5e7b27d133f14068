"""Demo data follows the rules the app follows: seeded rows read as if members had made them."""
from sqlalchemy import select

from ideas.extensions import db
from ideas.models import Follow, Idea


def test_seeded_authors_hear_of_all_activity_on_their_ideas_like_authors_who_post(runner, fetch):
    result = runner.invoke(args=["seed-demo", "--ideas", "12", "--votes", "50", "--members", "8"])

    assert result.exit_code == 0, result.output
    levels = fetch(lambda: db.session.execute(
        select(Follow.reason, Follow.level).join(Idea, Idea.id == Follow.idea_id)
        .where(Follow.user_id == Idea.author_id)).all())
    assert len(levels) == 12
    assert set(levels) == {("author", "all")}
